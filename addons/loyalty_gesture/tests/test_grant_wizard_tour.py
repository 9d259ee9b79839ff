from odoo.tests import HttpCase, tagged

from . import common, screens


@tagged("post_install", "-at_install")
class TestGrantWizardTour(screens.ScreensMixin, HttpCase, common.GestureCase):
    def test_agent_grants_a_gesture_in_the_browser(self):
        gesture_type = self.env["loyalty.gesture.type"].create(
            {
                "name": "Tour apology coupon",
                "fulfilment": "coupon",
                "category": "repair",
                "default_value": 15,
                "max_value": 40,
                "phone_script": "Hello {customer}, here is a {value} coupon.",
            }
        )
        action = self.env.ref("helpdesk_mgmt.helpdesk_ticket_action")
        self.start_tour(
            f"/odoo/action-{action.id}/{self.ticket.id}",
            "loyalty_gesture_grant_tour",
            login="care_agent",
        )
        gesture = self.env["loyalty.gesture"].search([("ticket_id", "=", self.ticket.id)])
        self.assertRecordValues(
            gesture,
            [
                {
                    "type_id": gesture_type.id,
                    "value": 15,
                    "state": "done",
                    "requested_by_id": self.agent.id,
                    "severity": "critical",
                }
            ],
        )
        self.assertTrue(gesture.coupon_card_id)
