from . import loyalty_gesture_grant_wizard
