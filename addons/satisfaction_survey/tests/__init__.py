from . import (
    test_access,
    test_answer_http,
    test_closed_loop,
    test_gesture_effects,
    test_scores,
    test_sending,
    test_triggers,
)
