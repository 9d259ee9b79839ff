from datetime import timedelta

from odoo import fields
from odoo.addons.loyalty_gesture.tests.common import AGENT, CareCase
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.tests import HttpCase

SETTINGS = {
    "care_contact_max": 10,
    "care_contact_window_days": 30,
    "satisfaction_window_days": 30,
    "satisfaction_token_days": 30,
    "satisfaction_loop_days": 2,
    "satisfaction_reminder_days": 0,
    "satisfaction_relationship_trigger": False,
    "satisfaction_ticket_trigger": True,
    "satisfaction_ticket_delay": 0,
    "satisfaction_gesture_trigger": True,
    "satisfaction_gesture_delay": 7,
    "satisfaction_invoice_trigger": True,
    "satisfaction_invoice_delay": 3,
}


def setup_satisfaction_data(cls):
    """Care users of both companies and a portal user, customers, a team and a survey."""
    cls.agent_b = cls.care_user("ss_agent_b", AGENT, cls.company_b)
    cls.portal_user = mail_new_test_user(cls.env, login="ss_portal", groups="base.group_portal")
    cls.plain_user = cls.internal_user
    cls.customer_2 = cls.make_partner("Hugo Bernard")
    cls.csat = cls.env.ref("satisfaction_survey.survey_csat")
    cls.nps = cls.env.ref("satisfaction_survey.survey_nps")
    cls.team = cls.env["helpdesk.ticket.team"].create(
        {"name": "Care team", "user_ids": [(6, 0, [cls.agent.id, cls.manager.id])]}
    )
    cls.stage_closed = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
    cls.repair_type = cls.env["loyalty.gesture.type"].create(
        {
            "name": "Sorry voucher",
            "category": "repair",
            "fulfilment": "coupon",
            "default_value": 15,
            "max_value": 100,
        }
    )
    cls.company.satisfaction_repair_type_id = cls.repair_type


class SatisfactionMixin:
    def make_request(self, partner=None, survey=None, state="sent", **vals):
        """A request already sent (link valid 30 days) unless told otherwise."""
        now = fields.Datetime.now()
        values = {
            "partner_id": (partner or self.customer).id,
            "survey_id": (survey or self.nps).id,
            "company_id": self.company.id,
        }
        values.update(vals)
        request = self.env["satisfaction.request"].create(values)
        if state != "pending":
            request.write(
                {
                    "state": state,
                    "sent_date": vals.get("sent_date", now),
                    "expiry_date": vals.get("expiry_date", now + timedelta(days=30)),
                }
            )
        return request

    def make_ticket(self, partner=None, user=None):
        return self.env["helpdesk.ticket"].create(
            {
                "name": "Parcel arrived damaged",
                "description": "<p>The vase was broken.</p>",
                "partner_id": (partner or self.customer).id,
                "team_id": self.team.id,
                "user_id": (user or self.agent).id,
            }
        )


class SatisfactionCase(SatisfactionMixin, CareCase):
    """loyalty_gesture's care users and companies (``ss_`` logins) with survey settings."""

    care_login_prefix = "ss"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(SETTINGS)
        setup_satisfaction_data(cls)


class SatisfactionHttpCase(SatisfactionCase, HttpCase):
    pass
