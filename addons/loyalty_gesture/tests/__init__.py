from . import (
    test_charter,
    test_fulfilment,
    test_fulfilment_points_concurrency,
    test_gesture_access,
    test_gesture_catalog,
    test_gesture_follow_up,
    test_gesture_workflow,
    test_grant_wizard,
    test_grant_wizard_tour,
    test_metrics,
    test_portrait,
)
