from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, create_index

from .winback_customer_score import STATUSES


class WinbackCampaignMember(models.Model):
    """One customer in one win-back campaign (or in its holdout group)."""

    _name = "winback.campaign.member"
    _description = "Win-back campaign member"
    _inherit = ["mail.thread", "mail.activity.mixin", "care.field.policy"]
    # the newest campaign first (by id: ordering by the campaign's own order would join it
    # and sort every member), then the best customers, read from an index (_auto_init)
    _order = "campaign_id.id desc, revenue_before desc, id"
    _rec_name = "partner_id"
    _check_company_auto = True
    # agents, who read members only, log their calls as notes and activities
    _mail_post_access = "read"

    campaign_id = fields.Many2one(
        "winback.campaign", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, readonly=True
    )
    status_at_start = fields.Selection(STATUSES, readonly=True)
    churn_risk_at_start = fields.Integer(readonly=True, aggregator="avg")
    revenue_before = fields.Monetary(string="Revenue before", readonly=True)
    is_holdout = fields.Boolean(string="Holdout", readonly=True)
    state = fields.Selection(
        [
            ("targeted", "Targeted"),
            ("holdout", "Holdout"),
            ("contacted", "Contacted"),
            ("responded", "Responded"),
            ("reactivated", "Reactivated"),
            ("relapsed", "Relapsed"),
            ("excluded", "Excluded"),
        ],
        default="targeted",
        required=True,
        readonly=True,
        tracking=True,
    )
    exclude_reason = fields.Selection(
        [
            ("occasional", "Occasional buyer"),
            ("low_value", "Below the minimum value"),
            ("no_contact", "Opted out, blacklisted or no email"),
            ("other_campaign", "In another running campaign"),
            ("budget", "Budget spent"),
            ("contact_refused", "Contact pressure policy"),
            ("undeliverable", "Email not delivered"),
        ],
        readonly=True,
    )
    contacted = fields.Boolean(readonly=True)
    contact_date = fields.Datetime(readonly=True)
    call_scheduled = fields.Boolean(readonly=True)
    gesture_id = fields.Many2one("loyalty.gesture", string="Offer", readonly=True)
    offer_cost = fields.Monetary(readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Opportunity", readonly=True)
    reminded = fields.Boolean(readonly=True, help="The reminder step was processed.")
    reminder_sent = fields.Boolean(readonly=True)
    reminder_gesture_id = fields.Many2one("loyalty.gesture", string="Reminder offer", readonly=True)
    reactivated = fields.Boolean(readonly=True)
    first_order_id = fields.Many2one("sale.order", readonly=True)
    first_order_date = fields.Datetime(string="First order after contact", readonly=True)
    first_order_amount = fields.Monetary(readonly=True)
    revenue = fields.Monetary(
        string="Revenue won back",
        readonly=True,
        help="Confirmed orders within the campaign's reactivation window.",
    )
    relapsed = fields.Boolean(readonly=True)

    _sql_constraints = [
        (
            "campaign_partner_uniq",
            "UNIQUE(campaign_id, partner_id)",
            "A customer is a member of a campaign only once.",
        ),
    ]

    # --- CRUD ---

    def _auto_init(self):
        res = super()._auto_init()
        # the members list's order read from an index: a page of a 1M-member campaign
        create_index(
            self.env.cr,
            "winback_campaign_member__campaign_revenue_index",
            self._table,
            ["campaign_id DESC", "revenue_before DESC", "id"],
        )
        return res

    def _care_writable_fields(self, operation):
        """Nobody sets a member's fields: the campaign's steps write them (see
        ``_write_step``), the customer's reply and the agent's call through their methods.
        Users keep the chatter, activities and followers (``care.field.policy``)."""
        return set()

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            self.check_access("create")  # agents: no create access, said as such
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            self.check_access("write")  # agents: no write access, said as such
        return super().write(vals)

    def _write_step(self, values):
        """What a campaign step records on its members (state, offer, costs, links)."""
        self.sudo().write(values)  # sudo: members are written by the campaign's steps only

    def _link_each(self, field, records):
        """Set the many2one ``field`` of each member to the record at the same position of
        ``records`` in one UPDATE (no stored field depends on these links: a write per
        member cost a third of a 100,000-member D0)."""
        if len(records) != len(self):
            raise ValueError(f"{len(self)} members, {len(records)} {field} values")
        if not self:
            return
        self.flush_recordset([field])
        self.env.execute_query(
            SQL(
                """
                UPDATE winback_campaign_member m
                   SET %(column)s = v.target, write_uid = %(uid)s,
                       write_date = now() AT TIME ZONE 'UTC'
                  FROM unnest(%(ids)s::int[], %(targets)s::int[]) AS v(id, target)
                 WHERE m.id = v.id
                """,
                column=SQL.identifier(field),
                uid=self.env.uid,
                ids=self.ids,
                targets=records.ids,
            )
        )
        self.invalidate_recordset([field, "write_uid", "write_date"])

    # --- Actions ---

    def action_mark_responded(self):
        """The customer answered (a call, a reply): the sequence stops for them."""
        self.check_access("read")
        if not self.env.user.has_group("loyalty_gesture.group_care_agent"):
            raise AccessError(self.env._("Only Customer Care agents record answers."))
        if any(m.state != "contacted" for m in self):
            raise UserError(self.env._("Only a contacted member can be marked as responded."))
        # agents record the outcome of their call, they do not edit members
        self._write_step({"state": "responded"})
        # sudo: agents record the outcome of their call
        self.sudo().activity_unlink(["mail.mail_activity_data_call"])
        return True

    # --- Mail ---

    def _message_post_after_hook(self, message, msg_values):
        # a reply from the customer to the campaign email counts as a response
        if message.message_type == "email" and message.author_id:
            self.filtered(
                lambda m: (
                    m.state == "contacted"
                    and message.author_id.commercial_partner_id == m.partner_id
                )
            )._write_step({"state": "responded"})  # the customer's reply marks it responded
        return super()._message_post_after_hook(message, msg_values)
