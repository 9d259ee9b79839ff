"""Customer statuses and the dashboard's figures are computed in the background
(issue #21): bookkeeping columns on res_company.

- ``care_kpi_computed_on`` stays empty: the figures stored so far were computed by the
  old refresh (the last 4 months nightly, 12 on a click, 2 when the dashboard opened), so
  older months may be stale and nothing says which. Empty means that the first refresh
  recomputes the last twelve months of every company once, then only what changed; the
  scheduled action is woken so that it happens right after the upgrade, not the next
  night.
- ``winback_score_requested`` / ``winback_score_cursor``: false / 0 rather than NULL, no
  scoring is under way in a database of the previous version.

Idempotent.
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE res_company
               SET winback_score_requested = COALESCE(winback_score_requested, FALSE),
                   winback_score_cursor = COALESCE(winback_score_cursor, 0)
             WHERE winback_score_requested IS NULL OR winback_score_cursor IS NULL
            """
        )
    )
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("winback.ir_cron_care_kpi_refresh", raise_if_not_found=False)
    if cron and cron.active:
        cron._trigger()
