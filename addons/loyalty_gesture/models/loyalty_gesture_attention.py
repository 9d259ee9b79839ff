from odoo import api, fields, models


class LoyaltyGesture(models.Model):
    """Gestures granted by an automatic attention rule rather than by an agent."""

    _inherit = "loyalty.gesture"

    care_attention_rule_id = fields.Many2one(
        "care.attention.rule",
        string="Automatic attention",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Set when the gesture was granted automatically by this attention rule.",
    )
    care_origin = fields.Selection(
        [("manual", "Agent"), ("attention", "Automatic attention")],
        string="Origin",
        compute="_compute_care_origin",
        store=True,
    )
    care_attention_event = fields.Selection(related="care_attention_rule_id.event")

    @api.depends("care_attention_rule_id")
    def _compute_care_origin(self):
        for gesture in self:
            gesture.care_origin = "attention" if gesture.care_attention_rule_id else "manual"

    def _get_mail_template(self):
        self.ensure_one()
        return self.care_attention_rule_id.mail_template_id or super()._get_mail_template()

    def _schedule_follow_ups(self):
        # nobody requested an automatic gesture: no follow-up activity for the system user
        manual = self.filtered(lambda gesture: not gesture.care_attention_rule_id)
        return super(LoyaltyGesture, manual)._schedule_follow_ups()
