from . import (
    account_move,
    care_contact_log,
    helpdesk_ticket,
    loyalty_gesture,
    mail_activity,
    res_company,
    res_config_settings,
    res_partner,
    sale_order,
    satisfaction_report,
    satisfaction_request,
    survey_survey,
)
