from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class LoyaltyCard(models.Model):
    """The customer's points account: every movement is a ``loyalty.history`` line.

    Credits and debits go through :meth:`_care_credit_points` and
    :meth:`_care_debit_points` only, so that per-earning lots (expiry, oldest first)
    can later be added by overriding these two methods without touching callers.
    """

    _inherit = "loyalty.card"

    def _care_lock(self):
        """Lock the card row and reload its balance from the database."""
        self.ensure_one()
        self.flush_recordset(["points"])
        self.env.cr.execute(SQL("SELECT id FROM loyalty_card WHERE id = %s FOR UPDATE", self.id))
        self.invalidate_recordset(["points"])

    @api.model
    def _care_history_values(self, description, origin):
        return {
            "description": description,
            "order_model": origin._name if origin else False,
            "order_id": origin.id if origin else False,
        }

    def _care_credit_points(self, points, description, origin=None):
        """Add ``points`` to the card; return the history line."""
        self.ensure_one()
        if points <= 0:
            raise UserError(self.env._("Only a positive number of points can be credited."))
        card = self.sudo()  # sudo: the ledger is moved by gestures, not by hand
        card._care_lock()
        card.with_context(loyalty_no_mail=True).points = card.points + points
        return (
            self.env["loyalty.history"]
            .sudo()
            .create(
                dict(card._care_history_values(description, origin), card_id=card.id, issued=points)
            )
        )

    def _care_debit_points(self, points, description, origin=None):
        """Take ``points`` from the card, never below zero; return the history line."""
        self.ensure_one()
        if points <= 0:
            raise UserError(self.env._("Only a positive number of points can be debited."))
        card = self.sudo()  # sudo: the ledger is moved by gestures, not by hand
        card._care_lock()
        if card.points < points:
            raise UserError(
                self.env._(
                    "Not enough points: the balance is %(balance)s, %(points)s are needed.",
                    balance=card.points,
                    points=points,
                )
            )
        card.with_context(loyalty_no_mail=True).points = card.points - points
        return (
            self.env["loyalty.history"]
            .sudo()
            .create(
                dict(card._care_history_values(description, origin), card_id=card.id, used=points)
            )
        )
