from . import res_company
from . import res_config_settings
from . import res_partner
from . import care_contact_log
from . import loyalty_gesture_type
from . import loyalty_gesture
