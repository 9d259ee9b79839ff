from odoo import fields, models


class WinbackLostReason(models.Model):
    """Why a customer left: rational (price, competitor…) or emotional (ignored…).

    Manager-only configuration: agents have a read access line only, so the access
    lines (ACL) decide who writes it; no field carries an amount to a customer.
    """

    _name = "winback.lost.reason"
    _inherit = ["care.number.guard"]
    _description = "Customer lost reason"
    _order = "category desc, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    category = fields.Selection(
        [("rational", "Rational"), ("emotional", "Emotional")],
        required=True,
        default="rational",
    )
    description = fields.Text(translate=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share it.")
    customer_count = fields.Integer(compute="_compute_customer_count")

    def _compute_customer_count(self):
        counts = dict(
            self.env["winback.customer.score"]._read_group(
                [("lost_reason_id", "in", self.ids)], ["lost_reason_id"], ["__count"]
            )
        )
        for reason in self:
            reason.customer_count = counts.get(reason, 0)
