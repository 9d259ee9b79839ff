from datetime import datetime, time, timedelta

from odoo import fields
from odoo.addons.loyalty_gesture.tests.common import MANAGER, CareCase


class WinbackCase(CareCase):
    """loyalty_gesture's care users (``wb_`` logins) in two companies of our own, and helpers
    for order histories."""

    care_login_prefix = "wb"
    care_manager_groups = f"{MANAGER},sales_team.group_sale_salesman"

    @classmethod
    def _care_companies(cls):
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env["res.company"].create({"name": "Win-back Roastery"})
        cls.company_b = cls.env["res.company"].create({"name": "Win-back Other Co"})
        cls.env.user.company_ids |= cls.company | cls.company_b

    @classmethod
    def _care_records(cls):
        cls.product = cls.env["product.product"].create(
            {"name": "Win-back test coffee", "type": "consu", "list_price": 10.0}
        )
        cls.gesture_type = cls.env["loyalty.gesture.type"].create(
            {
                "name": "Win-back test coupon",
                "category": "financial",
                "fulfilment": "coupon",
                "default_value": 10,
                "max_value": 100,
                "unit_cost": 2,
            }
        )
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.scores = cls.env["winback.customer.score"]

    @classmethod
    def _order_at(cls, partner, days_ago, amount=100.0, company=None):
        """A confirmed order ``days_ago`` days before today, worth ``amount`` untaxed."""
        moment = datetime.combine(cls.today - timedelta(days=days_ago), time(10, 0))
        return cls._order_on(partner, moment, amount, company)

    @classmethod
    def _order_on(cls, partner, moment, amount=100.0, company=None):
        return cls.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "company_id": (company or cls.company).id,
                "state": "sale",
                "date_order": moment,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.id,
                            "product_uom_qty": 1,
                            "price_unit": amount,
                            "tax_id": [(6, 0, [])],
                        },
                    )
                ],
            }
        )

    @classmethod
    def _history(cls, partner, days_ago_list, amount=100.0, company=None):
        for days_ago in days_ago_list:
            cls._order_at(partner, days_ago, amount, company)

    @classmethod
    def _sleepers(cls, name, count):
        """``count`` customers (``name.format(i)``) who last ordered 400, 300 and 250 days ago,
        for 100 + i each."""
        sleepers = cls.env["res.partner"]
        for i in range(count):
            sleepers |= cls.make_partner(name.format(i))
            cls._history(sleepers[-1], [400, 300, 250], amount=100 + i)
        return sleepers

    @classmethod
    def _sleeper_campaign(cls, pattern, count, **values):
        """``count`` scored sleepers (``cls.sleepers``, see ``_sleepers``) and a draft
        campaign on them (``_campaign_on``)."""
        cls.sleepers = cls._sleepers(pattern, count)
        cls.env["winback.customer.score"]._compute_company_scores(cls.company)
        return cls._campaign_on(cls.sleepers, **values)

    @classmethod
    def _campaign_on(cls, partners, **values):
        """A draft campaign of the Care manager's on ``partners``: dormant and lost
        customers of two orders or more, no holdout, the test gesture type, then
        ``values``."""
        return (
            cls.env["winback.campaign"]
            .with_user(cls.manager)
            .create(
                {
                    "company_id": cls.company.id,
                    "segment_dormant": True,
                    "segment_lost": True,
                    "min_orders": 2,
                    "holdout_percent": 0,
                    "gesture_type_id": cls.gesture_type.id,
                    "partner_domain": f"[('id', 'in', {partners.ids})]",
                    **values,
                }
            )
        )

    def _score(self, partner, company=None):
        return self.scores.search(
            [("partner_id", "=", partner.id), ("company_id", "=", (company or self.company).id)]
        )

    def _start_campaign(self, campaign):
        """Press *Start* on ``campaign``, then run its background job to the end."""
        campaign.action_start()
        self._run_campaign_job()

    def _run_campaign_job(self):
        """Call the campaign job, Email Marketing's queue and the outgoing mail queue as
        Odoo's cron workers do, until none of them has anything left."""
        campaigns = self.env["winback.campaign"]
        for _call in range(100):
            campaigns._cron_process_campaigns()
            self._send_queued_mailings()
            if not campaigns._job_remaining():
                return
        self.fail("the campaign job never finished")

    def _send_queued_mailings(self):
        """Email Marketing's queue, then the mail queue (the test thread sends nothing
        out: Odoo's mail server skips the SMTP in tests and records the mail as sent)."""
        self.env["mailing.mailing"].sudo()._process_mass_mailing_queue()
        self.env["mail.mail"].sudo().process_email_queue()

    def _keep_sent_emails(self, campaign, step="d0"):
        """Keep the emails of ``campaign``'s step once sent (Email Marketing's *Keep
        Archives*), for a test to read what they said."""
        campaign._step_mailing(step).sudo().keep_archives = True

    def _sent_emails(self, members):
        """The emails the step mailings sent ``members`` (kept: ``_keep_sent_emails``)."""
        return (
            self.env["mail.mail"]
            .sudo()
            .search([("model", "=", "winback.campaign.member"), ("res_id", "in", members.ids)])
        )

    def _traces(self, campaign, step=None):
        """The emails ``campaign``'s step mailings created (one trace per recipient)."""
        mailings = campaign.sudo().mailing_ids
        if step:
            mailings = mailings.filtered(lambda m: m.winback_step == step)
        return self.env["mailing.trace"].sudo().search([("mass_mailing_id", "in", mailings.ids)])

    def _compute(self, company=None):
        self.assertTrue(self.scores._compute_company_scores(company or self.company))
