"""The 18.0.1.1.0 migration (issue #17): run on a database in the old state, twice."""

from odoo.addons.loyalty_gesture.tests.common import load_migration
from odoo.tests import tagged
from odoo.tools import SQL

from . import common


@tagged("post_install", "-at_install")
class TestTrustMigration(common.SatisfactionCase):
    def test_old_state_is_brought_in_line_idempotently(self):
        care_manager = self.env.ref("loyalty_gesture.group_care_manager")
        survey_manager = self.env.ref("survey.group_survey_manager")
        # the old state: care managers implied Survey administrators; a forged source
        care_manager.implied_ids |= survey_manager
        self.assertTrue(self.manager.has_group("survey.group_survey_manager"))
        forged = self.make_request()
        kept = self.make_request(partner=self.customer_2)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE satisfaction_request SET res_model = 'res.users', res_id = 2, "
                "answer_change_count = NULL WHERE id = %s",
                forged.id,
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE satisfaction_request SET res_model = 'res.partner', res_id = %s "
                "WHERE id = %s",
                self.customer_2.id,
                kept.id,
            )
        )
        admin = self.env.ref("base.user_admin")
        migration = load_migration("satisfaction_survey", "18.0.1.1.0", "post-trust")
        for _run in range(2):
            migration.migrate(self.env.cr, "18.0.1.0.0")
            self.env.invalidate_all()
            self.assertNotIn(survey_manager, care_manager.implied_ids)
            self.assertFalse(self.manager.has_group("survey.group_survey_manager"))
            self.assertTrue(admin.has_group("survey.group_survey_manager"), "admins keep it")
            self.assertRecordValues(
                forged | kept,
                [
                    {"res_model": False, "res_id": 0, "answer_change_count": 0},
                    {
                        "res_model": "res.partner",
                        "res_id": self.customer_2.id,
                        "answer_change_count": 0,
                    },
                ],
            )
