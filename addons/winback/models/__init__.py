from . import (
    care_contact_log,
    care_gesture_effect_report,
    care_kpi_report,
    care_kpi_target,
    res_company,
    res_config_settings,
    res_partner,
    winback_campaign,
    winback_campaign_member,
    winback_churn_fit,
    winback_customer_score,
    winback_lost_reason,
)
