from odoo.tests import HttpCase, tagged

from . import screens, test_recommend_effects


@tagged("post_install", "-at_install")
class TestEffectTours(screens.ScreensMixin, HttpCase, test_recommend_effects.EffectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._measure()
        cls.ticket = cls.env["helpdesk.ticket"].create(
            {
                "name": "Late parcel",
                "description": "<p>Still not delivered.</p>",
                "partner_id": cls.customer.id,
                "priority": "2",
                "team_id": cls.team.id,
                "user_id": cls.agent.id,
            }
        )

    def test_manager_reads_what_works(self):
        action = self.env.ref("loyalty_gesture.loyalty_gesture_effect_action")
        self.start_tour(
            f"/odoo/action-{action.id}", "loyalty_gesture_effect_tour", login="care_manager"
        )

    def test_agent_reads_the_learned_recommendation(self):
        action = self.env.ref("helpdesk_mgmt.helpdesk_ticket_action")
        self.start_tour(
            f"/odoo/action-{action.id}/{self.ticket.id}",
            "loyalty_gesture_recommendation_tour",
            login="care_agent",
        )
