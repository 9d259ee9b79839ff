from . import (
    care_contact_log,
    helpdesk_ticket,
    loyalty_card,
    loyalty_gesture,
    loyalty_gesture_channel,
    loyalty_gesture_purpose,
    loyalty_gesture_type,
    mail_activity,
    res_company,
    res_config_settings,
    res_partner,
    sale_order,
)
