"""Constants shared by the care models (plain Python, no model)."""

TIERS = [
    ("standard", "Standard"),
    ("silver", "Silver"),
    ("gold", "Gold"),
    ("vip", "VIP"),
]
TIER_RANK = {key: rank for rank, (key, _label) in enumerate(TIERS)}
# Gesture states that count in a customer's caps (granted or about to be).
COUNTED_STATES = ("to_approve", "approved", "done", "followed_up")
# Why an automatic message did not go (contact log, attentions, survey requests).
SKIP_REASONS = [
    ("no_email", "No email address"),
    ("opt_out", "Opted out"),
    ("blacklisted", "Blacklisted address"),
    ("bounced", "Address bounced"),
    ("throttled", "Contact cap reached"),
]
