from odoo import api, models
from odoo.tools import SQL


def _next_score(kind, window):
    """The first ``kind`` score answered within ``window`` days after the case ``c``."""
    return SQL(
        """(SELECT r.score
              FROM satisfaction_request r
             WHERE r.commercial_partner_id = c.partner_id
               AND r.kind = %(kind)s AND r.state = 'answered'
               AND r.answered_date > c.case_date
               AND r.answered_date <= c.case_date + make_interval(days => %(window)s)
          ORDER BY r.answered_date LIMIT 1)""",
        kind=kind,
        window=window,
    )


class ResPartner(models.Model):
    """The dated metrics registry: NPS/CSAT around each past case (see loyalty_gesture)."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _care_metrics_as_of(self, table, company, window):
        """Add, per case: detractor (last NPS answer before it was 0 to 6), and the first
        NPS and CSAT answers within ``window`` days after it. One UPDATE for all cases."""
        result = super()._care_metrics_as_of(table, company, window)
        self.env["satisfaction.request"].flush_model(
            ["commercial_partner_id", "kind", "score", "answered_date", "state", "nps_category"]
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s c
                   SET detractor = COALESCE(s.detractor, false),
                       next_nps = s.next_nps,
                       next_csat = s.next_csat
                  FROM (
                    SELECT c.id,
                           (SELECT r.nps_category = 'detractor'
                              FROM satisfaction_request r
                             WHERE r.commercial_partner_id = c.partner_id
                               AND r.kind = 'nps' AND r.state = 'answered'
                               AND r.answered_date < c.case_date
                          ORDER BY r.answered_date DESC LIMIT 1) AS detractor,
                           %(next_nps)s AS next_nps,
                           %(next_csat)s AS next_csat
                      FROM %(table)s c
                     WHERE EXISTS (SELECT 1 FROM satisfaction_request r
                                    WHERE r.commercial_partner_id = c.partner_id
                                      AND r.state = 'answered')
                  ) s
                 WHERE s.id = c.id
                """,
                table=table,
                next_nps=_next_score("nps", window),
                next_csat=_next_score("csat", window),
            )
        )
        return result
