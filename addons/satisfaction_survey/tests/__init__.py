from . import (
    test_access,
    test_answer_http,
    test_closed_loop,
    test_gesture_effects,
    test_scores,
    test_sending,
    test_triggers,
    test_trust_answers,
    test_trust_http,
    test_trust_migration,
    test_trust_requests,
)
