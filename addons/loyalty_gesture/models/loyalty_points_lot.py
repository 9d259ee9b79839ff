from datetime import timedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from .care_helpers import CronClock, commit_cron_chunk


class LoyaltyPointsLot(models.Model):
    """One earning of points on a loyalty card, with its own expiry date.

    Lots are created when points are earned (gesture credits, confirmed orders) and
    consumed first-to-expire first when points are spent, under the card's row lock.
    The card's ``points`` stays the balance; lots only say when which points expire.
    """

    _name = "loyalty.points.lot"
    _inherit = ["care.field.policy"]  # no field of the ledger is set by a user
    _description = "Loyalty points lot"
    _order = "date desc, id desc"
    _rec_name = "card_id"

    card_id = fields.Many2one("loyalty.card", required=True, ondelete="cascade", index=True)
    program_id = fields.Many2one(related="card_id.program_id", store=True)
    partner_id = fields.Many2one(related="card_id.partner_id", store=True, index=True)
    company_id = fields.Many2one(related="card_id.company_id", store=True)
    date = fields.Date(string="Earned on", required=True, default=fields.Date.context_today)
    expiry_date = fields.Date(
        string="Expires after", index=True, help="Last day on which these points can be spent."
    )
    points = fields.Float(string="Points earned", required=True, readonly=True)
    points_left = fields.Float(string="Points left", required=True, readonly=True)
    points_expired = fields.Float(string="Points expired", readonly=True)
    state = fields.Selection(
        [("open", "Open"), ("spent", "Spent"), ("expired", "Expired")],
        required=True,
        default="open",
        readonly=True,
        index=True,
    )
    history_id = fields.Many2one(
        "loyalty.history",
        string="Earned by",
        ondelete="cascade",
        readonly=True,
        help="History line of the earning; the lot disappears if the earning is cancelled.",
    )
    expiry_history_id = fields.Many2one(
        "loyalty.history", string="Expired by", ondelete="set null", readonly=True
    )
    reminder_sent = fields.Boolean(
        string="Reminder sent",
        readonly=True,
        help="The customer was reminded (or the reminder was refused by the contact policy).",
    )

    _sql_constraints = [
        (
            "points_consistent",
            "CHECK(points > 0 AND points_left >= 0 AND points_left <= points "
            "AND points_expired >= 0)",
            "A lot earns a positive number of points and never has more left than earned.",
        ),
    ]

    # --- Business ---

    @api.model
    def _care_expiry_domain(self, today=None):
        today = today or fields.Date.context_today(self)
        return [("state", "=", "open"), ("expiry_date", "!=", False), ("expiry_date", "<", today)]

    @api.model
    def _care_lock_cards(self, cards):
        """Lock the cards' rows (in id order, against deadlocks) and reload their balance."""
        cards.flush_recordset(["points"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM loyalty_card WHERE id IN %s ORDER BY id FOR UPDATE",
                tuple(cards.ids),
            )
        )
        cards.invalidate_recordset(["points"])

    @api.model
    def _care_refresh_inactivity_expiry(self, partners=None):
        """Move the expiry of the open lots of "after the last order" programs, in one query.

        Such a lot expires the program's number of months after the later of its earning
        and the last confirmed order of the card's customer (or of a contact of the same
        company). An expiry pushed back is reminded again. ``partners`` limits the update
        to these customers' cards (when their orders change); all cards otherwise.
        Returns the ids of the lots whose expiry moved.
        """
        commercial = partners.commercial_partner_id.ids if partners is not None else None
        if commercial is not None and not commercial:
            return []
        self.env.flush_all()
        only_partners = (
            SQL("AND customer.commercial_partner_id IN %s", tuple(commercial))
            if commercial
            else SQL()
        )
        # SQL: one statement for every lot, whatever the number of cards (no ACL applies:
        # the expiry follows the customer's orders, whoever confirms them)
        self.env.cr.execute(
            SQL(
                """
                WITH last_order AS (
                    SELECT buyer.commercial_partner_id AS partner_id,
                           MAX(so.date_order)::date AS day
                      FROM sale_order so
                      JOIN res_partner buyer ON buyer.id = so.partner_id
                     WHERE so.state = 'sale'
                       AND buyer.commercial_partner_id IN (
                           SELECT customer.commercial_partner_id
                             FROM loyalty_card card
                             JOIN res_partner customer ON customer.id = card.partner_id
                             JOIN loyalty_program program ON program.id = card.program_id
                            WHERE program.care_points_expiry_mode = 'inactivity' %(only)s)
                     GROUP BY buyer.commercial_partner_id
                ), target AS (
                    SELECT lot.id,
                           (GREATEST(lot.date, last_order.day)
                            + make_interval(months => program.care_points_validity_months)
                            - INTERVAL '1 day')::date AS expiry_date
                      FROM loyalty_points_lot lot
                      JOIN loyalty_card card ON card.id = lot.card_id
                      JOIN loyalty_program program ON program.id = card.program_id
                      JOIN res_partner customer ON customer.id = card.partner_id
                 LEFT JOIN last_order ON last_order.partner_id = customer.commercial_partner_id
                     WHERE lot.state = 'open'
                       AND program.care_points_expiry_mode = 'inactivity'
                       AND program.care_points_validity_months > 0 %(only)s
                )
                UPDATE loyalty_points_lot lot
                   SET expiry_date = target.expiry_date,
                       reminder_sent = lot.reminder_sent
                           AND lot.expiry_date IS NOT NULL
                           AND target.expiry_date <= lot.expiry_date
                  FROM target
                 WHERE lot.id = target.id
                   AND lot.expiry_date IS DISTINCT FROM target.expiry_date
             RETURNING lot.id
                """,
                only=only_partners,
            )
        )
        lot_ids = [row[0] for row in self.env.cr.fetchall()]
        if lot_ids:
            self.browse(lot_ids).invalidate_recordset(["expiry_date", "reminder_sent"])
        return lot_ids

    @api.model
    def _cron_expire_points(self, batch_size=500):
        """Expire the lots whose expiry date has passed, batch of cards after batch, for
        the time of a cron pass (:class:`CronClock`, one batch at least); reports the cards
        left so that Odoo calls it again.

        Safe to rerun and on several cron workers: each batch claims its cards
        (``SKIP LOCKED``), expired lots leave the ``open`` state, and as a scheduled
        action each batch is committed. The balance is never taken below zero.
        """
        self._care_refresh_inactivity_expiry()
        domain = self._care_expiry_domain()
        return self._care_card_batches(domain, batch_size, self._care_expire_cards)

    @api.model
    def _care_card_batches(self, domain, batch_size, handle):
        """``handle(cards, domain)`` on batches of claimed cards with lots in ``domain``,
        each committed as a scheduled action, for the time of a cron pass (one batch at
        least); reports the cards left. Returns the cards handled."""
        clock = CronClock(self.env)
        done = self.env["loyalty.card"]
        if clock.hand_over():
            return done
        while True:
            cards = self._care_claim_cards(domain, batch_size)
            if cards:
                handle(cards, domain)
                done |= cards
                commit_cron_chunk(self.env)
            if not cards or clock.expired():
                break
        self._care_notify(done, domain)
        return done

    @api.model
    def _care_claim_cards(self, domain, limit):
        """Up to ``limit`` cards with lots in ``domain`` that no other worker holds, in id
        order, locked until the commit (the lock the points ledger takes)."""
        self.env.flush_all()
        # sudo: the cron handles every card
        lots = self.sudo()._search(domain)
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM loyalty_card WHERE id IN %s
                 ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED""",
                lots.subselect(SQL.identifier(lots.table, "card_id")),
                limit,
            )
        )
        # sudo: the cron handles every card
        return self.env["loyalty.card"].sudo().browse([row[0] for row in rows])

    @api.model
    def _care_notify(self, done, domain):
        """Report the batch and the cards left to the cron (it calls again while some are)."""
        # sudo: the cron counts every card
        [(remaining,)] = self.sudo()._read_group(domain, [], ["card_id:count_distinct"])
        self.env["ir.cron"]._notify_progress(done=len(done), remaining=remaining)

    @api.model
    def _care_expire_cards(self, cards, domain):
        self._care_lock_cards(cards)
        # read again under the lock: a concurrent run may have expired them already
        # sudo: the cron expires every card
        lots = self.sudo().search(expression.AND([domain, [("card_id", "in", cards.ids)]]))
        left_by_card = {}
        for lot in lots:
            left_by_card[lot.card_id] = left_by_card.get(lot.card_id, 0.0) + lot.points_left
        history_values = []
        expiring_cards = []
        for card, left in left_by_card.items():
            expired = max(0.0, min(left, card.points))
            card.with_context(loyalty_no_mail=True).points = card.points - expired
            expiring_cards.append(card)
            history_values.append(
                {
                    "card_id": card.id,
                    "description": self.env._("Points expired"),
                    "used": expired,
                    "issued": 0.0,
                }
            )
        # sudo: the cron writes the points ledger
        histories = self.env["loyalty.history"].sudo().create(history_values)
        history_by_card = dict(zip(expiring_cards, histories, strict=True))
        for lot in lots:
            lot.write(
                {
                    "points_expired": lot.points_left,
                    "points_left": 0.0,
                    "state": "expired",
                    "expiry_history_id": history_by_card[lot.card_id].id,
                }
            )
        lots.flush_recordset()
        return histories

    @api.model
    def _care_reminder_domain(self, today=None):
        today = today or fields.Date.context_today(self)
        programs = (
            self.env["loyalty.program"]
            .sudo()  # sudo: expiry settings of every program
            .with_context(active_test=False)
            .search([("care_expiry_reminder_days", ">", 0)])
        )
        by_program = [
            [
                ("program_id", "=", program.id),
                ("expiry_date", "<=", today + timedelta(days=program.care_expiry_reminder_days)),
            ]
            for program in programs
        ]
        return expression.AND(
            [
                [
                    ("state", "=", "open"),
                    ("reminder_sent", "=", False),
                    ("expiry_date", ">=", today),
                    ("card_id.partner_id", "!=", False),
                ],
                expression.OR(by_program or [expression.FALSE_DOMAIN]),
            ]
        )

    @api.model
    def _cron_remind_points_expiry(self, batch_size=200):
        """Email each customer whose points expire soon, once per lot, within the contact
        policy: batch of cards after batch for the time of a cron pass, as the expiry."""
        self._care_refresh_inactivity_expiry()
        domain = self._care_reminder_domain()
        template = self.env.ref(
            "loyalty_gesture.mail_template_points_expiry", raise_if_not_found=False
        )
        return self._care_card_batches(
            domain,
            batch_size,
            lambda cards, domain: self._care_remind_cards(cards, domain, template),
        )

    @api.model
    def _care_remind_cards(self, cards, domain, template):
        # sudo: the cron reminds every card
        lots = self.sudo().search(expression.AND([domain, [("card_id", "in", cards.ids)]]))
        if not lots:
            return
        # a run that reminded them already, committed after this snapshot, makes this
        # lock fail to serialize: the batch is rolled back, never sent twice
        self.env.cr.execute(
            SQL("SELECT id FROM loyalty_points_lot WHERE id IN %s FOR UPDATE", tuple(lots.ids))
        )
        logs = self.env["care.contact.log"]
        for card in cards:
            company = card.company_id or self.env.company
            if template and logs._log_contact(
                card.partner_id, "points_expiry", record=card, company=company
            ):
                template.with_company(company).send_mail(
                    card.id, email_layout_xmlid="loyalty_gesture.mail_layout_care"
                )
        lots.write({"reminder_sent": True})
        lots.flush_recordset(["reminder_sent"])
