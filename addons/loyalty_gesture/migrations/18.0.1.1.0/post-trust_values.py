"""One checked figure per gesture (issue #17).

Points and cost are now derived on the server from the value (points: value divided by
what the points program's reward gives per point; gifts and free deliveries: the value
of their product). Fulfilled gestures keep the points they credited and the cost they
had: they are history. Only drafts, not granted yet, are derived again. Idempotent.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    Gesture = env["loyalty.gesture"].with_context(active_test=False)
    drafts = Gesture.search([("state", "=", "draft")])
    if not drafts:
        return
    drafts._apply_derived_values()
    env.add_to_compute(Gesture._fields["points"], drafts)
    env.add_to_compute(Gesture._fields["cost"], drafts)
    drafts.flush_recordset(["value", "points", "cost"])
