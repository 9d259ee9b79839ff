from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL, split_every

# The context of a batch issued without a chatter trace per gesture (a win-back campaign's
# offers): no "created" message, no creator follower, no tracking. The set-based path
# writes what the ORM path writes in this context only; elsewhere it is the ORM path.
QUIET_CONTEXT = ("mail_create_nolog", "mail_create_nosubscribe", "mail_notrack")
FOLLOW_UP_TYPE = "loyalty_gesture.mail_activity_type_gesture_follow_up"
# gestures read through their records at a time (hooks of other modules), the cache
# emptied after each chunk
READ_CHUNK = 5000
# rows a batch inserts into a table from which on the table's statistics are refreshed
ANALYZE_MIN_ROWS = 2000


class LoyaltyGesture(models.Model):
    """Many personal coupons at once: the gesture pipeline (charter check, approval,
    coupon, follow-up) in a few set-based statements instead of the ORM's per-record work.

    :meth:`_care_issue_batch` writes exactly what :meth:`_care_issue_orm` (create and
    ``action_submit``) writes, rows and columns, in the quiet context of a campaign
    (``QUIET_CONTEXT``); winback/tests/test_coupon_bulk.py compares every stored column.
    What it does not cover goes through the ORM path, whole or in part (see
    :meth:`_care_batch_issuable`).
    """

    _inherit = "loyalty.gesture"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _care_issue_orm(self, partners, gesture_type, value, reason, company):
        """One gesture per partner, created and submitted by the ORM (the reference path)."""
        vals = {"type_id": gesture_type.id, "company_id": company.id, "reason": reason}
        if gesture_type._is_valued():
            vals["value"] = value
        gestures = self.create([{"partner_id": partner.id, **vals} for partner in partners])
        gestures.action_submit()
        return gestures

    @api.model
    def _care_issue_batch(self, partners, gesture_type, value, reason, company):
        """One gesture per partner (in their order), submitted: the charter evaluated once
        for the batch, then the gestures, coupons and follow-ups inserted set-based.

        What the charter blocks refuses the batch as the ORM path does; gestures that need
        a manager wait for approval (the approval request goes through the ORM); the
        others are fulfilled. Returns the gestures, in the order of ``partners``.
        """
        if not partners:
            return self.browse()
        if not self._care_batch_issuable(partners, gesture_type):
            return self._care_issue_orm(partners, gesture_type, value, reason, company)
        # what create checks before it writes
        self.check_access("create")
        vals = {
            "partner_id": partners[0].id,
            "type_id": gesture_type.id,
            "company_id": company.id,
            "reason": reason,
            "value": value,
        }
        self._check_value_not_negative(vals)
        self._care_check_numbers(vals)
        if not self.env.su:
            refused = vals.keys() - self._care_writable_fields("create")
            if refused:
                self._care_refuse_fields(refused)
        # what the caller read (100,000 members, say) leaves the cache: the memory it
        # held serves the batch's figures
        self.env.invalidate_all()
        gestures = self._care_insert_gestures(partners, gesture_type, value, reason, company)
        # what create checks after: companies, constraints, the charter (once: it
        # refuses what it blocks, as create would); a gesture read through its record
        # is read alone (self.browse: not with the batch's 100,000 as prefetch)
        first = self.browse(gestures.ids[:1])
        gestures._care_check_batch_companies(partners, first)
        first._care_check_batch_constraints()
        charter = self.env["loyalty.gesture.charter"]
        results = charter._check_batch(gestures, partners, gesture_type, value, company)
        # what action_submit checks: rights, then the gesture's own checks (the type, the
        # value and the company are the batch's: one gesture answers for all)
        gestures.check_access("write")
        first._check_grantable(charter_checked=True)
        to_approve = gestures.browse(
            [g for g, result in zip(gestures.ids, results, strict=True) if result["needs_approval"]]
        )
        if to_approve:
            to_approve._set_state("to_approve")
            charter._request_approval(to_approve)
        approved = gestures - to_approve
        if approved:
            approved._care_fulfil_batch()
        self.env.invalidate_all()
        return gestures

    @api.model
    def _care_batch_issuable(self, partners, gesture_type):
        """Whether the set-based path covers this batch: personal coupons of a type
        without an email of its own, for distinct customers, in the quiet context."""
        if gesture_type.fulfilment != "coupon" or gesture_type.mail_template_id:
            return False
        context = self.env.context
        if not all(context.get(key) for key in QUIET_CONTEXT):
            return False
        if context.get("mail_activity_automation_skip"):
            return False  # no follow-up activity: the ORM path skips them
        customers = self.env["loyalty.gesture.charter"]._batch_customers(partners)
        return len(set(customers)) == len(customers)

    def _care_check_batch_companies(self, partners, first):
        """create's ``_check_company`` for a batch of one type and company (``first``,
        one of them, read alone; ``partners``, their customers): the type and the first
        customer as create checks them, the other customers in one query (the ORM's
        message if one is of another company)."""
        first._check_company()
        # sudo: _check_company reads every customer's company whoever grants
        records = self.env["res.partner"].sudo().with_context(active_test=False)
        domain = expression.normalize_domain(records._check_company_domain(first.company_id))
        if records.search_count([("id", "in", partners.ids), "!", *domain], limit=1):
            self._check_company()

    def _care_check_batch_constraints(self):
        """The gestures' Python constraints, for a batch of one type and value without
        channel, ticket, order, invoice or points payment (what the batch inserts): one
        of them answers for all."""
        gesture = self
        if gesture.type_id.max_value and gesture.value > gesture.type_id.max_value:
            raise ValidationError(
                self.env._("A gesture cannot be worth more than its type's maximum value.")
            )

    @api.model
    def _care_insert_gestures(self, partners, gesture_type, value, reason, company):
        """Insert the draft gestures as create writes them; return them in order."""
        count = len(partners)
        ids = self._care_next_ids(self._table, count)
        names = self._next_names(count)
        currency = company.currency_id
        value = currency.round(value)
        now = self.env.cr.now()
        self.env.execute_query(
            SQL(
                """
                INSERT INTO loyalty_gesture (
                    id, name, partner_id, commercial_partner_id, company_id, type_id,
                    category, fulfilment, reason, value, cost, severity, points,
                    points_spent, state, requested_by_id, care_origin,
                    create_uid, create_date, write_uid, write_date)
                SELECT v.id, v.name, v.partner_id, p.commercial_partner_id, %(company)s,
                       %(type)s, %(category)s, %(fulfilment)s, %(reason)s, %(value)s,
                       %(cost)s, 'medium', 0.0, 0.0, 'draft', %(uid)s, 'manual',
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(ids)s::int[], %(partners)s::int[], %(names)s::varchar[])
                       AS v(id, partner_id, name)
                  JOIN res_partner p ON p.id = v.partner_id
                """,
                company=company.id,
                type=gesture_type.id,
                category=gesture_type.category,
                fulfilment=gesture_type.fulfilment,
                reason=reason or None,
                value=value,
                # _real_cost: the value plus the type's unit cost (a coupon is no gift)
                cost=currency.round(value + gesture_type.unit_cost),
                uid=self.env.uid,
                now=now,
                ids=ids,
                partners=partners.ids,
                names=names,
            )
        )
        self._care_analyze(self._table, count)
        return self.browse(ids)

    @api.model
    def _care_analyze(self, table, count):
        """Refresh the planner's statistics of ``table`` after a batch inserted ``count``
        rows into it, before other statements refer to them: the foreign key checks of
        the rows pointing at them (a member's gesture, a gesture's coupon, a follower's
        subtypes) are planned on the statistics of the table before the batch, a
        sequential scan when it was small, each check then reading every page the batch
        filled (100,000 members linked to their gestures: 45 s instead of 2; ANALYZE
        counts the rows of its own transaction). ``SKIP_LOCKED``: a worker analyzing the
        table already is not waited for."""
        if count >= ANALYZE_MIN_ROWS:
            self.env.cr.execute(SQL("ANALYZE (SKIP_LOCKED) %s", SQL.identifier(table)))

    @api.model
    def _care_next_ids(self, table, count):
        """``count`` new ids of ``table``, ascending, as the ORM would draw them."""
        rows = self.env.execute_query(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s) ORDER BY 1",
                f"{table}_id_seq",
                count,
            )
        )
        return [row[0] for row in rows]

    def _care_fulfil_batch(self):
        """Approve and fulfil approved-to-be gestures of one type, value and company:
        coupons, state, the follow-up activities and what other modules add."""
        gesture = self[:1]
        uid = self.env.uid
        program, points = gesture._coupon_program_and_points("coupons")
        if program.communication_plan_ids.filtered(lambda plan: plan.trigger == "create"):
            # the program emails each new coupon: the ORM sends them
            self._set_state("approved", approved_by_id=uid)
            self.action_done()
            return
        cards = self._care_insert_coupons(program, points)
        now = fields.Datetime.now()
        user = gesture.requested_by_id or self.env.user
        deadline = fields.Date.context_today(self) + timedelta(
            days=gesture.company_id.care_follow_up_days
        )
        self.env.execute_query(
            SQL(
                """
                UPDATE loyalty_gesture g
                   SET state = 'done', approved_by_id = %(uid)s, done_date = %(now)s,
                       coupon_card_id = v.card_id, follow_up_date = %(deadline)s,
                       write_uid = %(uid)s, write_date = %(write_date)s
                  FROM unnest(%(ids)s::int[], %(cards)s::int[]) AS v(id, card_id)
                 WHERE g.id = v.id
                """,
                uid=uid,
                now=now,
                deadline=deadline,
                write_date=self.env.cr.now(),
                ids=self.ids,
                cards=cards,
            )
        )
        self.invalidate_recordset()
        # the hook reads the gestures through their records: a chunk at a time, its
        # records dropped from the cache after it (not 100,000 gestures in memory)
        for chunk in split_every(READ_CHUNK, self.ids, self.browse):
            chunk._care_batch_done()
            self.env.invalidate_all()
        self._care_insert_follow_ups(user, deadline)

    def _care_insert_coupons(self, program, points):
        """A coupon card of ``program`` for each gesture, as ``_create_coupons`` creates
        them (codes from ``loyalty.card._generate_code``); returns their ids in order."""
        cards = self.env["loyalty.card"].sudo()  # sudo: agents grant coupons (see _create_coupons)
        codes = self._care_new_codes(cards, len(self))
        # loyalty.card's constraint: no coupon code equal to a program's trigger code
        clash = cards.env["loyalty.rule"].search(
            [("mode", "=", "with_code"), ("code", "in", codes)], limit=1
        )
        if clash:
            cards.new({"code": clash.code})._contrains_code()
        validity = self[:1].type_id.validity_days
        ids = self._care_next_ids(cards._table, len(self))
        now = self.env.cr.now()
        self.env.execute_query(
            SQL(
                """
                INSERT INTO loyalty_card (
                    id, program_id, company_id, partner_id, points, code, expiration_date,
                    active, create_uid, create_date, write_uid, write_date)
                SELECT v.id, %(program)s, %(company)s, g.partner_id, %(points)s, v.code,
                       %(expiration)s, TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(ids)s::int[], %(gestures)s::int[], %(codes)s::varchar[])
                       AS v(id, gesture_id, code)
                  JOIN loyalty_gesture g ON g.id = v.gesture_id
                """,
                program=program.id,
                company=program.company_id.id or None,
                points=points,
                expiration=(validity and fields.Date.context_today(self) + timedelta(days=validity))
                or None,
                uid=self.env.uid,
                now=now,
                ids=ids,
                gestures=self.ids,
                codes=codes,
            )
        )
        self._care_analyze(cards._table, len(ids))
        return ids

    @api.model
    def _care_new_codes(self, cards, count):
        """``count`` coupon codes from ``loyalty.card._generate_code``, none drawn twice
        nor already used (its 32 random bits meet again within some 100,000 codes)."""
        codes = {}
        while len(codes) < count:
            drawn = {cards._generate_code(): None for _i in range(count - len(codes))}
            taken = self.env.execute_query(
                SQL("SELECT code FROM loyalty_card WHERE code = ANY(%s)", list(drawn))
            )
            for (code,) in taken:
                drawn.pop(code)
            codes.update(drawn)
        return list(codes)

    def _care_batch_done(self):
        """Hook: what becoming done adds to these gestures besides their own rows (the
        satisfaction survey's request), set-based; the ORM path does it in ``write``."""

    def _care_insert_follow_ups(self, user, deadline):
        """The follow-up activity of each gesture for ``user`` and its follower, as
        ``_schedule_follow_ups`` (``activity_schedule``) creates them."""
        activity_model = self.env["mail.activity"]
        activity_type = self.env["mail.activity.type"].browse(
            self.env["ir.model.data"]._xmlid_to_res_id(FOLLOW_UP_TYPE, raise_if_not_found=False)
        )
        if not activity_type or activity_type.res_model not in (False, self._name):
            activity_type = self._default_activity_type()
        note = activity_model._fields["note"].convert_to_column(
            activity_model._fields["note"].convert_to_cache(
                activity_type.default_note, activity_model
            ),
            activity_model,
        )
        ids = self._care_next_ids(activity_model._table, len(self))
        now = self.env.cr.now()
        self.env.execute_query(
            SQL(
                """
                INSERT INTO mail_activity (
                    id, res_model_id, res_model, res_id, res_name, activity_type_id, summary,
                    note, date_deadline, automated, user_id, user_tz, active,
                    create_uid, create_date, write_uid, write_date)
                SELECT v.id, %(model_id)s, %(model)s, g.id, g.name, %(type)s, %(summary)s,
                       %(note)s, %(deadline)s, TRUE, %(user)s, %(tz)s, TRUE,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(ids)s::int[], %(gestures)s::int[]) AS v(id, gesture_id)
                  JOIN loyalty_gesture g ON g.id = v.gesture_id
                """,
                model_id=self.env["ir.model"]._get_id(self._name),
                model=self._name,
                type=activity_type.id,
                summary=activity_type.summary or None,
                note=note or None,
                deadline=deadline,
                user=user.id,
                tz=user.tz or None,
                uid=self.env.uid,
                now=now,
                ids=ids,
                gestures=self.ids,
            )
        )
        # mail.activity's create: the assignee follows the record (the current user
        # here: no notification); a bus message when the activity is due today
        self._care_insert_followers(user.partner_id)
        if deadline <= fields.Date.today():
            user._bus_send(
                "mail.activity/updated", {"activity_created": True, "count_diff": len(self)}
            )

    def _care_insert_followers(self, partner):
        """``partner`` follows each gesture with the default subtypes, as
        ``message_subscribe`` of the current user's partner adds them."""
        default, _internal, _external = self.env["mail.message.subtype"].default_subtypes(
            self._name
        )
        followers = self.env["mail.followers"]
        ids = self._care_next_ids(followers._table, len(self))
        self.env.execute_query(
            SQL(
                """
                INSERT INTO mail_followers (id, res_model, res_id, partner_id)
                SELECT v.id, %(model)s, v.res_id, %(partner)s
                  FROM unnest(%(ids)s::int[], %(res_ids)s::int[]) AS v(id, res_id)
                """,
                model=self._name,
                partner=partner.id,
                ids=ids,
                res_ids=self.ids,
            )
        )
        # the subtypes' rows point at the new followers
        self._care_analyze(followers._table, len(ids))
        field = followers._fields["subtype_ids"]
        if default:
            self.env.execute_query(
                SQL(
                    "INSERT INTO %s (%s, %s) SELECT f, s FROM unnest(%s::int[]) f, "
                    "unnest(%s::int[]) s",
                    SQL.identifier(field.relation),
                    SQL.identifier(field.column1),
                    SQL.identifier(field.column2),
                    ids,
                    default.ids,
                )
            )
