from . import test_gesture_access
