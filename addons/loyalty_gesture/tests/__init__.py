from . import test_gesture_access
from . import test_gesture_catalog
from . import test_gesture_workflow
from . import test_fulfilment
from . import test_fulfilment_points_concurrency
from . import test_grant_wizard
from . import test_gesture_follow_up
