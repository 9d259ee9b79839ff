# the model and the mixin first: the files below extend them
from . import satisfaction_request, satisfaction_trigger_mixin

# isort: split
from . import (
    account_move,
    care_contact_log,
    helpdesk_ticket,
    loyalty_gesture,
    mail_activity,
    res_company,
    res_config_settings,
    res_partner,
    res_partner_case,
    sale_order,
    satisfaction_report,
    satisfaction_request_scoring,
    satisfaction_request_sending,
    satisfaction_request_trigger,
    survey_survey,
    survey_user_input,
)
