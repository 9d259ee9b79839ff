from odoo import api, models
from odoo.exceptions import UserError, ValidationError


class LoyaltyGesture(models.Model):
    """What makes a gesture valid and grantable: constraints and clear refusals."""

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    @api.constrains("value", "type_id")
    def _check_value_below_type_max(self):
        if any(g.type_id.max_value and g.value > g.type_id.max_value for g in self):
            raise ValidationError(
                self.env._("A gesture cannot be worth more than its type's maximum value.")
            )

    @api.constrains("channel_id", "type_id")
    def _check_channel_allowed(self):
        for gesture in self:
            allowed = gesture.type_id.channel_ids
            if gesture.channel_id and allowed and gesture.channel_id not in allowed:
                raise ValidationError(
                    self.env._(
                        "%(type)s cannot be granted by %(channel)s.",
                        type=gesture.type_id.name,
                        channel=gesture.channel_id.name,
                    )
                )

    @api.constrains("partner_id", "sale_order_id", "invoice_id", "ticket_id")
    def _check_documents_of_the_customer(self):
        for gesture in self:
            customer = gesture.partner_id.commercial_partner_id
            documents = (
                gesture.sale_order_id.partner_id
                | gesture.invoice_id.partner_id
                | gesture.ticket_id.partner_id
            )
            if any(p.commercial_partner_id != customer for p in documents):
                raise ValidationError(
                    self.env._(
                        "The ticket, order and invoice of gesture %(name)s must belong to "
                        "its customer.",
                        name=gesture.name,
                    )
                )

    @api.constrains("paid_with_points", "type_id")
    def _check_points_price(self):
        if any(g.paid_with_points and not g.type_id.points_price for g in self):
            raise ValidationError(self.env._("This gesture type cannot be paid with points."))

    def _check_value_not_negative(self, vals):
        """Refuse a negative value in words before the database refuses it (a negative
        value would also make the derived cost negative: one clear message for both)."""
        value = vals.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise ValidationError(self.env._("The value of a gesture cannot be negative."))

    def _check_grantable_batch(self):
        """:meth:`_check_grantable` for many gestures, the charter evaluated once."""
        self.env["loyalty.gesture.charter"]._check_gestures(self)
        for gesture in self:
            gesture._check_grantable(charter_checked=True)

    def _check_grantable(self, charter_checked=False):
        """Refuse bad input before anything is created, with a clear message.

        ``charter_checked``: the caller evaluated the charter for a batch (an argument,
        not a context key: clients set the context of their RPC calls).
        """
        self.ensure_one()
        if not charter_checked:
            self.env["loyalty.gesture.charter"]._check_gestures(self)
        gesture_type = self.type_id
        kind = gesture_type.fulfilment
        if not gesture_type.active:
            raise UserError(
                self.env._("Gesture type %(type)s is archived.", type=gesture_type.name)
            )
        if gesture_type._is_derived():
            gesture_type._check_derived_value(self.company_id)
        if gesture_type._is_valued() and self.value <= 0:
            raise UserError(
                self.env._("A %(type)s gesture needs a positive value.", type=gesture_type.name)
            )
        if gesture_type.max_value and self.value > gesture_type.max_value:
            raise UserError(
                self.env._("A gesture cannot be worth more than its type's maximum value.")
            )
        if self.channel_id.sends_email and not self.partner_id.email:
            raise UserError(
                self.env._(
                    "%(customer)s has no email address: choose another channel or add one.",
                    customer=self.partner_id.display_name,
                )
            )
        kind_check = getattr(self, f"_check_grantable_{kind}", None)  # in the kind's file
        if kind_check:
            kind_check()
        if self.paid_with_points:
            # the balance is the figure the grant wizard shows agents on purpose
            card = self.company_id._care_points_card(self.partner_id, create=False)
            if card.points < self.points_spent:
                raise UserError(
                    self.env._(
                        "%(customer)s has %(balance)s points; this gesture costs %(price)s.",
                        customer=self.partner_id.display_name,
                        balance=card.points,
                        price=self.points_spent,
                    )
                )

    def _care_name_for_user(self, record):
        """``record``'s name if the current user may read it, else "Restricted"."""
        if record.with_env(self.env).has_access("read"):
            return record.with_env(self.env).display_name
        return self.env._("Restricted")
