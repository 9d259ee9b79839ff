# A model's file comes before the files that extend it (<model>_<reason>.py): the
# alphabetical order keeps it.
from . import (
    care_contact_log,
    care_gesture_effect_report,
    care_kpi_report,
    care_kpi_report_figures,
    care_kpi_report_refresh,
    care_kpi_target,
    mail_mail,
    mailing_mailing,
    mailing_mailing_statistics,
    mailing_trace,
    res_company,
    res_config_settings,
    res_partner,
    sale_order,
    winback_campaign,
    winback_campaign_ab_results,
    winback_campaign_funnel,
    winback_campaign_jobs,
    winback_campaign_mailing,
    winback_campaign_member,
    winback_campaign_member_ab,
    winback_campaign_member_mailing,
    winback_campaign_member_offer,
    winback_campaign_offer,
    winback_campaign_report,
    winback_campaign_results,
    winback_campaign_segment,
    winback_campaign_steps,
    winback_campaign_targeting,
    winback_chatter,
    winback_churn_fit,
    winback_customer_score,
    winback_customer_score_batch,
    winback_customer_score_chunks,
    winback_customer_score_drivers,
    winback_customer_score_sql,
    winback_lost_reason,
)

# isort: split
# after the files whose methods they extend, so that their overrides call them: the A/B
# test (steps, targeting), the UTM (the step mailings' _mailing_utm_values)
from . import winback_campaign_ab, winback_campaign_utm
