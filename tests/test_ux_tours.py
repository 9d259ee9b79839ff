"""Issue #19, outside-in: tours clicking the real buttons, as the people who use them.

The dashboard's Refresh as a Customer Care manager, the repair gesture from an unhappy
answer as an agent (through the grant wizard), the approval of a gesture above the agent's
limit as a manager. The campaign start is winback/tests/test_campaign_tour.py.
"""

from datetime import timedelta

from odoo import fields
from odoo.addons.loyalty_gesture.tests import screens
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestButtonTours(screens.ScreensMixin, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")

        def user(login, groups):
            return mail_new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=cls.company.id,
                company_ids=[(6, 0, cls.company.ids)],
                tour_enabled=False,
            )

        cls.agent = user("touragent", "loyalty_gesture.group_care_agent")
        cls.manager = user(
            "tourmanager", "loyalty_gesture.group_care_manager,sales_team.group_sale_salesman"
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Tour Unhappy Ursula", "email": "ursula@example.com"}
        )
        cls.repair_type = cls.env["loyalty.gesture.type"].create(
            {
                "name": "Sorry voucher",
                "category": "repair",
                "fulfilment": "coupon",
                "default_value": 10,
                "max_value": 100,
            }
        )
        cls.company.write(
            {"satisfaction_repair_type_id": cls.repair_type.id, "care_agent_gesture_limit": 50}
        )

    def test_manager_refreshes_the_dashboard(self):
        reports = self.env["care.kpi.report"]
        self.assertFalse(self.manager.has_group("helpdesk_mgmt.group_helpdesk_manager"))
        action = self.env.ref("winback.care_dashboard_server_action")
        self.env.cr.execute("UPDATE care_kpi_report SET refreshed_on = '2020-01-01'")
        # never computed: the refresh recomputes the twelve months
        self.env.cr.execute("UPDATE res_company SET care_kpi_computed_on = NULL")
        cron = self.env.ref("winback.ir_cron_care_kpi_refresh")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self.start_tour(
            f"/odoo/action-{action.id}", "care_dashboard_refresh_tour", login="tourmanager"
        )
        # issue #21: the button asked the scheduled action, which computes the figures
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers
        )
        self.env.invalidate_all()
        self.assertTrue(self.company.care_kpi_started_on)
        reports._refresh_due()
        reports.invalidate_model()
        months = reports._last_months(12)
        rows = reports.search([("company_id", "=", self.company.id), ("period", "in", months)])
        self.assertEqual(len(rows), 12 * 12)
        self.assertFalse(
            rows.filtered(lambda r: r.refreshed_on.year == 2020),
            "the Refresh button recomputed the twelve months",
        )

    def test_agent_grants_a_repair_gesture_from_an_unhappy_answer(self):
        request = self.env["satisfaction.request"].create(
            {
                "partner_id": self.customer.id,
                "survey_id": self.env.ref("satisfaction_survey.survey_nps").id,
                "company_id": self.company.id,
                "user_id": self.agent.id,
            }
        )
        now = fields.Datetime.now()
        request.sudo().write(
            {"state": "sent", "sent_date": now, "expiry_date": now + timedelta(days=30)}
        )
        request._record_answer(2, "Late twice.")
        self.assertTrue(request.is_unhappy)
        self.start_tour(
            f"/odoo/satisfaction.request/{request.id}",
            "satisfaction_repair_gesture_tour",
            login="touragent",
        )
        gesture = request.gesture_id
        self.assertRecordValues(
            gesture,
            [
                {
                    "partner_id": self.customer.id,
                    "type_id": self.repair_type.id,
                    "state": "done",
                    "requested_by_id": self.agent.id,
                }
            ],
        )
        self.assertTrue(gesture.coupon_card_id)

    def test_manager_approves_a_gesture_above_the_agent_limit(self):
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create({"partner_id": self.customer.id, "type_id": self.repair_type.id, "value": 80})
        )
        gesture.action_submit()
        self.assertEqual(gesture.state, "to_approve")
        self.start_tour(
            f"/odoo/loyalty.gesture/{gesture.id}",
            "loyalty_gesture_approval_tour",
            login="tourmanager",
        )
        gesture.invalidate_recordset()
        self.assertRecordValues(gesture, [{"state": "done", "approved_by_id": self.manager.id}])
        self.assertTrue(gesture.coupon_card_id)
