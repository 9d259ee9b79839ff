"""Statuses from the back-tested churn model and the customers' own rhythm.

The fixed-day dormant and lost thresholds are gone: recompute (and refit) every company
already scored, so that statuses, risks and predictions follow the new model at once.
Idempotent: a rerun refits and rescores the same way.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    scores = env["winback.customer.score"]
    for company in env["res.company"].search([("winback_scored_on", "!=", False)]):
        scores._compute_company_scores(company)
