from collections import defaultdict
from datetime import timedelta

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL


class LoyaltyGesture(models.Model):
    """Fulfilment: the dispatch to each kind's ``fulfilment_<kind>.py`` and what kinds share.

    A kind defines ``_fulfil_<kind>`` and ``_undo_<kind>`` on a recordset, and may define
    ``_check_grantable_<kind>`` on one gesture (called by :meth:`_check_grantable`).
    """

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    def _by_kind(self):
        """The gestures of ``self`` grouped by their type's fulfilment kind."""
        return self.grouped(lambda gesture: gesture.type_id.fulfilment).items()

    def _fulfil(self):
        """Create what the gestures give; each step skips what already exists."""
        for gesture in self.filtered(
            lambda g: g.paid_with_points and not g.points_spent_history_id
        ):
            card = gesture.company_id._care_points_card(gesture.partner_id)
            history = card._care_debit_points(
                gesture.points_spent,
                self.env._("Exchanged for gesture %(name)s", name=gesture.name),
                gesture,
            )
            gesture._write_workflow({"points_spent_history_id": history.id})
        for kind, gestures in self._by_kind():
            getattr(gestures, f"_fulfil_{kind}")()

    def _undo_fulfilment(self):
        """Cancel what fulfilment created, or refuse clearly when Odoo cannot."""
        for kind, gestures in self._by_kind():
            getattr(gestures, f"_undo_{kind}")()
        self._reverse_points(
            "points_spent_history_id",
            lambda g: g.env._("Gesture %(name)s cancelled: points given back", name=g.name),
        )

    # --- What kinds share ---

    def _coupon_program_and_points(self, program_kind):
        """The program and points of the voucher this gesture gives, derived from its
        value: as many points as the program's reward gives ``value`` for, or one use of
        a reward (percentage, free delivery) capped at ``value``."""
        self.ensure_one()
        company, currency = self.company_id, self.currency_id
        program = company._care_program(program_kind)._care_capped_program(
            self.value, currency, company
        )
        points = program._care_points_for(self.value, currency, company, digits=2)
        if not points:
            points = max(program.reward_ids.mapped("required_points") or [1.0]) or 1.0
        return program, points

    def _create_coupons(self, program_kind):
        """A coupon card of the company's ``program_kind`` program for each gesture that
        has none: one create per company and program, one write for all."""
        today = fields.Date.context_today(self)
        groups = defaultdict(list)
        for gesture in self.filtered(lambda g: not g.coupon_card_id):
            program, points = gesture._coupon_program_and_points(program_kind)
            groups[gesture.company_id, program].append((gesture, points))
        for (company, program), rows in groups.items():
            cards = (
                self.env["loyalty.card"]
                .sudo()  # sudo: agents grant coupons without managing loyalty programs
                .with_company(company)
                .create(
                    [
                        {
                            "program_id": program.id,
                            "partner_id": gesture.partner_id.id,
                            "points": points,
                            "expiration_date": gesture.type_id.validity_days
                            and today + timedelta(days=gesture.type_id.validity_days),
                        }
                        for gesture, points in rows
                    ]
                )
            )
            gestures = self.browse([gesture.id for gesture, _points in rows])
            gestures._write_coupon_cards(cards)

    def _write_coupon_cards(self, cards):
        """Link ``cards[i]`` to ``self[i]`` in one UPDATE (no override reacts to it)."""
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                """
                UPDATE loyalty_gesture g
                   SET coupon_card_id = v.value, write_uid = %(uid)s,
                       write_date = now() AT TIME ZONE 'UTC'
                  FROM unnest(%(ids)s::int[], %(values)s::int[]) AS v(id, value)
                 WHERE g.id = v.id
                """,
                uid=self.env.uid,
                ids=self.ids,
                values=cards.ids,
            )
        )
        self.invalidate_recordset(["coupon_card_id", "write_uid", "write_date"])

    def _undo_coupons(self):
        """Disable the gestures' coupons, unless one was used already."""
        used = self.filtered("coupon_used")[:1]
        if used:
            raise UserError(self.env._("Coupon %(code)s was already used.", code=used.coupon_code))
        # sudo: cancelling the approved gesture disables its coupon
        self.coupon_card_id.sudo().write({"active": False, "points": 0})

    def _reverse_points(self, fname, message):
        """Reverse each gesture's loyalty history ``fname``: debit what it credited, credit
        back what it debited; ``message(gesture)`` describes the move."""
        for gesture in self:
            history = gesture.sudo()[fname]  # sudo: agents may lack loyalty rights
            if not history:
                continue
            card = gesture.company_id._care_points_card(gesture.partner_id, create=False)
            if history.issued:
                card._care_debit_points(history.issued, message(gesture), gesture)
            else:
                card._care_credit_points(history.used, message(gesture), gesture)

    def _schedule_tasks(self, summary):
        """A to-do for the requester of each gesture that has none; ``summary(gesture)``
        is its title."""
        for gesture in self.filtered(lambda g: not g.task_activity_id):
            activity = gesture.sudo().activity_schedule(  # sudo: assigns to the requester
                "mail.mail_activity_data_todo",
                summary=summary(gesture),
                note=gesture.reason or "",
                user_id=(gesture.requested_by_id or self.env.user).id,
            )
            gesture._write_workflow({"task_activity_id": activity.id})

    def _undo_tasks(self):
        # sudo: the fulfilment task may belong to another user
        self.task_activity_id.sudo().unlink()
