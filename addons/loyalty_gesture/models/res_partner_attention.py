from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .care_helpers import count_by, window_action


class ResPartner(models.Model):
    """Referrals and birthdates for automatic attentions."""

    _inherit = "res.partner"  # pylint: disable=consider-merging-classes-inherited

    care_referred_by_id = fields.Many2one(
        "res.partner",
        string="Referred by",
        index="btree_not_null",
        ondelete="set null",
        help="The customer who recommended us: they are rewarded once, when this "
        "customer's first order is confirmed (referral attention rules).",
    )
    care_birthdate_changed_on = fields.Date(
        string="Birthdate changed on",
        readonly=True,
        copy=False,
        help="A birthdate set or changed less than 30 days before the birthday gets its "
        "attention only the next year.",
    )
    care_attention_count = fields.Integer(
        string="Attentions",
        compute="_compute_care_attention_count",
        groups="loyalty_gesture.group_care_agent",
    )

    @api.constrains("care_referred_by_id")
    def _check_care_referred_by(self):
        for partner in self.filtered("care_referred_by_id"):
            referrer = partner.care_referred_by_id
            if referrer.commercial_partner_id == partner.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "%(customer)s cannot be referred by themselves or by a contact of "
                        "the same company.",
                        customer=partner.display_name,
                    )
                )

    def _compute_care_attention_count(self):
        counts = count_by(self.env["care.attention"], "partner_id", self)
        for partner in self:
            partner.care_attention_count = counts.get(partner, 0)

    @api.model_create_multi
    def create(self, vals_list):
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if vals.get("birthdate_date"):
                vals["care_birthdate_changed_on"] = today
        return super().create(vals_list)

    def write(self, vals):
        if "birthdate_date" not in vals:
            return super().write(vals)
        birthdate = fields.Date.to_date(vals["birthdate_date"])
        changed = self.filtered(lambda partner: partner.birthdate_date != birthdate)
        result = super().write(vals)
        if changed:
            super(ResPartner, changed).write(
                {"care_birthdate_changed_on": fields.Date.context_today(self)}
            )
        return result

    def action_view_care_attentions(self):
        return window_action(
            self.env,
            "loyalty_gesture.care_attention_action",
            domain=[("partner_id", "in", self.ids)],
            context={},
        )
