from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from . import common


@tagged("post_install", "-at_install")
class TestGestureEffectFeatures(common.SatisfactionCase):
    """The dated metrics registry: NPS/CSAT around each past gesture feed its effects."""

    def _answered(self, survey, score, days_ago):
        request = self.make_request(self.customer, survey=survey)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE satisfaction_request SET state = 'answered', score = %s, "
                "nps_category = %s, answered_date = %s WHERE id = %s",
                score,
                (survey == self.nps and ("detractor" if score <= 6 else "promoter")) or None,
                fields.Datetime.now() - timedelta(days=days_ago),
                request.id,
            )
        )

    def test_detractor_before_and_answers_after_a_gesture(self):
        when = fields.Datetime.now() - timedelta(days=200)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO loyalty_gesture (name, company_id, partner_id, commercial_partner_id,
                    type_id, state, value, cost, severity, done_date, create_date, write_date)
                VALUES ('PAST', %(company)s, %(p)s, %(p)s, %(type)s, 'done', 15, 15, 'high',
                        %(when)s, %(when)s, %(when)s)
                """,
                company=self.company.id,
                p=self.customer.id,
                type=self.repair_type.id,
                when=when,
            )
        )
        self._answered(self.nps, 3, 230)  # before: a detractor
        self._answered(self.nps, 9, 180)  # after, within the 90-day window
        self._answered(self.csat, 5, 190)
        self._answered(self.nps, 2, 20)  # long after: not the gesture's
        self.env["loyalty.gesture.effect"]._compute_company_effects(self.company)
        effect = self.env["loyalty.gesture.effect"].search(
            [("type_id", "=", self.repair_type.id), ("scope", "=", "case")]
        )
        self.assertRecordValues(
            effect,
            [
                {
                    "detractor": True,
                    "severity": "high",
                    "case_count": 1,
                    "nps_count": 1,
                    "next_nps": 9.0,
                    "csat_count": 1,
                    "next_csat": 5.0,
                }
            ],
        )
