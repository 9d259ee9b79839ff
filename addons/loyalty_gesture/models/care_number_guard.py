import math

from odoo import api, models
from odoo.exceptions import ValidationError

INTEGER_LIMIT = 2**31 - 1  # PostgreSQL integer column
AMOUNT_LIMIT = 1e12  # no care amount, count or rate comes near it


class CareNumberGuard(models.AbstractModel):
    """Refuse numbers nobody means with a clear message, before the database does.

    NaN, infinite values and numbers beyond what the column holds (typed through RPC
    or imported from a file: ``nan``, ``inf``, ``1e400``) would otherwise fail deep in
    the ORM or PostgreSQL with a technical error. Inherited by the suite's models whose
    numbers users enter: gestures, charter rules, win-back campaigns.
    """

    _name = "care.number.guard"
    _description = "Customer care number check"

    def _care_check_numbers(self, vals):
        for name, value in vals.items():
            field = self._fields.get(name)
            if field is None or field.type not in ("integer", "float", "monetary"):
                continue
            if value is None or value is False:
                continue
            limit = INTEGER_LIMIT if field.type == "integer" else AMOUNT_LIMIT
            try:
                number = float(value)
                valid = math.isfinite(number) and abs(number) <= limit
            except (TypeError, ValueError, OverflowError):
                valid = False
            if not valid:
                raise ValidationError(
                    self.env._(
                        "%(field)s: %(value)s is not a valid number.",
                        field=field._description_string(self.env),
                        value=value,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._care_check_numbers(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._care_check_numbers(vals)
        return super().write(vals)
