from . import (
    test_background,
    test_campaign,
    test_campaign_job,
    test_campaign_tour,
    test_churn_backtest,
    test_churn_model,
    test_coupon_bulk,
    test_customer_score,
    test_kpi,
    test_kpi_target,
    test_manager_screens,
    test_trust,
)
