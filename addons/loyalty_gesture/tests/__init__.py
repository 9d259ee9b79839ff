from . import (
    test_charter,
    test_fulfilment,
    test_fulfilment_points_concurrency,
    test_gesture_access,
    test_gesture_catalog,
    test_gesture_follow_up,
    test_gesture_workflow,
    test_grant_wizard,
    test_metrics,
    test_portrait,
)
from . import test_gesture_access
from . import test_gesture_catalog
from . import test_gesture_workflow
from . import test_fulfilment
from . import test_fulfilment_points_concurrency
from . import test_grant_wizard
from . import test_gesture_follow_up
