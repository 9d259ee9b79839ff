import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare


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

    care_cap_source_id = fields.Many2one(
        "loyalty.program",
        string="Capped copy of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Gesture vouchers whose reward has no fixed worth (a percentage, a free "
        "delivery) are issued in a copy of the gesture program whose rewards are capped "
        "at the gesture's value.",
    )
    care_cap_amount = fields.Monetary(
        string="Reward cap", readonly=True, copy=False, currency_field="currency_id"
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

    # --- What a point is worth (gesture values) ---

    def _care_point_worth(self, currency, company, date=None):
        """What one point of this program gives the customer, in ``currency``, or 0.

        Read from the program's discount rewards: a per-point discount gives its amount
        per point; a fixed-amount discount gives its amount for its required points.
        With several, the best for the customer counts, so that the points derived from
        a value never give more than that value.
        """
        self.ensure_one()
        date = date or fields.Date.today()
        worth = 0.0
        for reward in self.reward_ids:
            if reward.reward_type != "discount" or reward.discount <= 0:
                continue
            if reward.discount_mode == "per_point":
                amount = reward.discount
            elif reward.discount_mode == "per_order" and reward.required_points > 0:
                amount = reward.discount / reward.required_points
            else:
                continue
            worth = max(
                worth, reward.currency_id._convert(amount, currency, company, date, round=False)
            )
        return worth

    def _care_points_for(self, value, currency, company, digits=0):
        """The points worth at most ``value`` (rounded down to ``digits`` decimals), or 0."""
        self.ensure_one()
        worth = self._care_point_worth(currency, company)
        if not worth:
            return 0.0
        factor = 10**digits
        # a hair above to absorb binary noise (20 / 0.1 = 199.99999...)
        return math.floor(value / worth * factor + 1e-6) / factor

    def _care_uncapped_rewards(self, cap):
        """Rewards without a fixed worth (percentage, free delivery) that could give more
        than ``cap``."""
        return self.reward_ids.filtered(
            lambda r: (
                (
                    (r.reward_type == "discount" and r.discount_mode == "percent")
                    or r.reward_type == "shipping"
                )
                and (
                    not r.discount_max_amount
                    or float_compare(r.discount_max_amount, cap, precision_digits=2) > 0
                )
            )
        )

    def _care_capped_program(self, cap, currency, company):
        """This program, or its copy whose percentage and delivery rewards give at most
        ``cap`` (in ``currency``): the copy is made once per amount, then reused.

        Called as superuser by gesture fulfilment (the suite manages its programs).
        """
        self.ensure_one()
        cap = self.currency_id.round(
            currency._convert(cap, self.currency_id, company, fields.Date.today())
        )
        if not self._care_uncapped_rewards(cap):
            return self
        copies = self.with_context(active_test=False).search(
            [("care_cap_source_id", "=", self.id), ("active", "=", True)]
        )
        for program in copies:
            if not float_compare(program.care_cap_amount, cap, precision_digits=2):
                return program
        program = self.copy(
            {
                "name": self.env._(
                    "%(program)s (up to %(amount)s)",
                    program=self.name,
                    amount=self.currency_id.format(cap),
                ),
                "care_cap_source_id": self.id,
                "care_cap_amount": cap,
                "care_personal_coupons": self.care_personal_coupons,
            }
        )
        program._care_uncapped_rewards(cap).write({"discount_max_amount": cap})
        return program
