from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_is_zero


class LoyaltyCard(models.Model):
    """The customer's points account: every movement is a ``loyalty.history`` line.

    Credits and debits go through :meth:`_care_credit_points` and
    :meth:`_care_debit_points` only. Cards of loyalty programs keep their points per
    earning (``loyalty.points.lot``): each lot expires on its own date and spending
    takes the lots that expire first (the oldest ones), under the card's row lock.
    """

    _inherit = "loyalty.card"

    care_lot_ids = fields.One2many("loyalty.points.lot", "card_id", string="Points lots")
    care_next_expiry_date = fields.Date(
        string="Next points expiry", compute="_compute_care_next_expiry"
    )
    care_next_expiry_points = fields.Float(
        string="Points expiring next", compute="_compute_care_next_expiry"
    )

    def _compute_care_next_expiry(self):
        groups = (
            self.env["loyalty.points.lot"]
            .sudo()  # sudo: portal reads too
            ._read_group(
                [
                    ("card_id", "in", self.ids),
                    ("state", "=", "open"),
                    ("expiry_date", "!=", False),
                ],
                ["card_id", "expiry_date:day"],
                ["points_left:sum"],
                order="expiry_date:day desc",
            )
        )
        next_expiry = {card.id: (day, points) for card, day, points in groups}
        for card in self:
            day, points = next_expiry.get(card.id, (False, 0.0))
            card.care_next_expiry_date = day
            card.care_next_expiry_points = points

    # --- Ledger ---

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
        history = (
            self.env["loyalty.history"]
            .sudo()  # sudo: the points ledger is written for any user
            .create(
                dict(card._care_history_values(description, origin), card_id=card.id, issued=points)
            )
        )
        card._care_lots_add(points, history)
        return history

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
        card._care_lots_consume(points)
        return (
            self.env["loyalty.history"]
            .sudo()  # sudo: the points ledger is written for any user
            .create(
                dict(card._care_history_values(description, origin), card_id=card.id, used=points)
            )
        )

    # --- Points lots (call under the card lock) ---

    def _care_lots_add(self, points, history):
        """Record an earning of ``points`` as a lot expiring after the program's validity."""
        self.ensure_one()
        program = self.program_id
        if points <= 0 or not program._care_tracks_lots():
            return self.env["loyalty.points.lot"]
        today = fields.Date.context_today(self)
        months = program.care_points_validity_months
        expiry = today + relativedelta(months=months, days=-1) if months else False
        return (
            self.env["loyalty.points.lot"]
            .sudo()  # sudo: lots are bookkeeping, created for any user
            .create(
                {
                    "card_id": self.id,
                    "date": today,
                    "expiry_date": expiry,
                    "points": points,
                    "points_left": points,
                    "history_id": history.id,
                }
            )
        )

    def _care_points_outside_lots(self):
        """Points of each card held outside its open lots (earned before lots existed)."""
        groups = (
            self.env["loyalty.points.lot"]
            .sudo()  # sudo: the lots follow the balance, whoever moves it
            ._read_group(
                [("card_id", "in", self.ids), ("state", "=", "open")],
                ["card_id"],
                ["points_left:sum"],
            )
        )
        in_lots = {card.id: points for card, points in groups}
        return {card.id: card.points - in_lots.get(card.id, 0.0) for card in self}

    def _care_lots_rebalance(self, outside_before):
        """Make the open lots follow a balance moved outside the ledger methods.

        ``outside_before`` is what :meth:`_care_points_outside_lots` gave before the move:
        points given back become a new lot (valid as if earned today), points taken back
        are taken from the lots that expire first.
        """
        self.ensure_one()
        delta = self._care_points_outside_lots()[self.id] - outside_before
        if float_is_zero(delta, precision_digits=6):
            return
        if delta > 0:
            self._care_lots_add(delta, self.env["loyalty.history"])
        else:
            self._care_lots_consume(-delta)

    def _care_lots_consume(self, points):
        """Take ``points`` from the open lots, first to expire first, then the oldest.

        Points held outside any lot (earned before lots existed) are taken last.
        """
        self.ensure_one()
        if points <= 0:
            return
        lots = (
            self.env["loyalty.points.lot"]
            .sudo()  # sudo: lots are bookkeeping, consumed for any user
            .search(
                [("card_id", "=", self.id), ("state", "=", "open")],
                order="expiry_date asc nulls last, date, id",
            )
        )
        for lot in lots:
            if points <= 0:
                break
            taken = min(points, lot.points_left)
            left = lot.points_left - taken
            lot.write({"points_left": left, "state": "open" if left > 0 else "spent"})
            points -= taken

    # --- Personal coupons ---

    def _care_personal_refusal(self, order):
        """Why this personal coupon cannot be used on ``order``, or False."""
        self.ensure_one()
        card = self.sudo()  # sudo: salespeople check coupons they cannot read
        if not card.program_id.care_personal_coupons:
            return False
        customer = order.partner_id.commercial_partner_id
        if card.partner_id and card.partner_id.commercial_partner_id != customer:
            return self.env._(
                "This coupon is personal: it can only be used by the customer it was issued to."
            )
        used_elsewhere = (
            self.env["sale.order.line"]
            .sudo()  # sudo: a count over every order, customers lack sales rights
            .search_count(
                [
                    ("coupon_id", "=", card.id),
                    ("order_id", "!=", order.id),
                    ("order_id.state", "=", "sale"),
                ],
                limit=1,
            )
        )
        if used_elsewhere:
            return self.env._("This personal coupon was already used on another order.")
        return False
