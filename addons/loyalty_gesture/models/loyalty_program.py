from odoo import api, fields, models
from odoo.exceptions import ValidationError


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    care_personal_coupons = fields.Boolean(
        string="Personal single-use coupons",
        help="A coupon of this program can only be applied on an order of the customer "
        "it was issued to (or of a contact of the same company), and only once.",
    )
    care_points_expiry_mode = fields.Selection(
        [
            ("earning", "After each earning"),
            ("inactivity", "After the last order"),
        ],
        string="Points expire",
        default="earning",
        required=True,
        help="After each earning: each earning of points expires the set number of months "
        "after it was earned.\n"
        "After the last order: the points expire the set number of months after the "
        "customer's last confirmed order (never sooner after they were earned); each new "
        "order pushes their expiry back.",
    )
    care_points_validity_months = fields.Integer(
        string="Points validity (months)",
        default=0,
        help="How many months the points stay valid, counted from their earning or from "
        "the customer's last order (see when points expire); the points that expire first "
        "are spent first. 0 means the points never expire.",
    )
    care_expiry_reminder_days = fields.Integer(
        string="Expiry reminder (days before)",
        default=30,
        help="The customer is reminded by email this many days before points expire, "
        "within the contact policy. 0 sends no reminder.",
    )

    _sql_constraints = [
        (
            "care_points_expiry_positive",
            "CHECK(care_points_validity_months >= 0 AND care_expiry_reminder_days >= 0)",
            "The points validity and the expiry reminder cannot be negative.",
        ),
    ]

    @api.constrains("care_points_validity_months", "care_expiry_reminder_days")
    def _check_care_points_expiry(self):
        if any(
            program.care_points_validity_months > 240 or program.care_expiry_reminder_days > 365
            for program in self
        ):
            raise ValidationError(
                self.env._(
                    "The points validity is at most 240 months and the expiry reminder "
                    "at most 365 days."
                )
            )

    def _care_tracks_lots(self):
        """Whether the points of this program's cards are kept per earning (lots)."""
        self.ensure_one()
        return self.program_type == "loyalty"
