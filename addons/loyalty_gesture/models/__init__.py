from . import (
    care_contact_log,
    loyalty_gesture,
    loyalty_gesture_type,
    res_company,
    res_config_settings,
    res_partner,
)
