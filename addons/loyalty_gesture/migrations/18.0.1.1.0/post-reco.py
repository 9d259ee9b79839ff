"""Recommendations that learn: measure the effects of past gestures once at upgrade, so the
grant wizard ranks by them from the start instead of waiting for the nightly job.

Idempotent: the computation replaces the company's figures each time it runs.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["loyalty.gesture.effect"]._cron_compute()
