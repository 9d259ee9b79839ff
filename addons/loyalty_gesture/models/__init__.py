# Mixins first: the models below inherit them, and Odoo builds models in import order.
from . import care_field_policy, care_number_guard, care_partner_filter  # isort: split

# The gesture and its type, then, in this order, what completes the gesture: the bases of
# hooks others below override (email, follow-up), and the fulfilment kinds, each adding
# its value to the type's selection (so in the selection's order). A new kind: one line.
# isort: off
from . import loyalty_gesture, loyalty_gesture_type
from . import loyalty_gesture_values, loyalty_gesture_checks, loyalty_gesture_fulfilment
from . import loyalty_gesture_mail
from . import (
    fulfilment_coupon,
    fulfilment_order_discount,
    fulfilment_refund,
    fulfilment_points,
    fulfilment_gift,
    fulfilment_free_delivery,
    fulfilment_service_task,
    fulfilment_letter,
)
from . import loyalty_gesture_bulk
# isort: on

from . import (
    care_attention,
    care_attention_rule,
    care_attention_rule_event,
    care_attention_rule_run,
    care_contact_log,
    care_contact_log_attention,
    care_contact_log_points_expiry,
    helpdesk_ticket,
    loyalty_card,
    loyalty_gesture_attention,
    loyalty_gesture_channel,
    loyalty_gesture_charter,
    loyalty_gesture_charter_evaluation,
    loyalty_gesture_charter_rule,
    loyalty_gesture_chatter,
    loyalty_gesture_effect,
    loyalty_gesture_effect_compute,
    loyalty_gesture_offer,
    loyalty_gesture_portrait,
    loyalty_gesture_portrait_criterion,
    loyalty_gesture_purpose,
    loyalty_gesture_suggestion,
    loyalty_points_lot,
    loyalty_program,
    mail_activity,
    res_company,
    res_company_effect,
    res_config_settings,
    res_config_settings_effect,
    res_partner,
    res_partner_attention,
    res_partner_case,
    res_partner_tier,
    sale_order,
)
