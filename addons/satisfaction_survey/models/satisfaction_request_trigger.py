from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.addons.loyalty_gesture.models.care_helpers import CronClock, commit_cron_chunk
from odoo.tools import SQL

from .satisfaction_request import _new_token

# what a trigger's request values may name (the set-based insert writes these)
REQUEST_KEYS = {"partner_id", "company_id", "ticket_id", "user_id"}


class SatisfactionRequest(models.Model):
    """Triggers: the requests created after a ticket, order or gesture event, and the
    relationship NPS asked of active customers within a daily cap."""

    _inherit = "satisfaction.request"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _create_from_trigger(self, trigger, records):
        """Create the pending requests that ``trigger`` asks about ``records``.

        Idempotent: a record that already has a request for its customer gets no other.
        Runs as superuser: whoever closes a ticket or posts an invoice triggers the
        request without needing rights on satisfaction requests.
        """
        requests_sudo = self.sudo()  # sudo: triggered by any user, see docstring
        existing = {
            (req.partner_id.id, req.res_id)
            for req in requests_sudo.search(
                [("res_model", "=", records._name), ("res_id", "in", records.ids)]
            )
        }
        now = fields.Datetime.now()
        vals_list = []
        settings = {}  # company: its trigger settings, read once per batch
        for record in records:
            vals = record._satisfaction_request_values()
            company = self.env["res.company"].browse(vals["company_id"]) or self.env.company
            if company not in settings:
                settings[company] = company._satisfaction_trigger(trigger)
            active, survey, delay = settings[company]
            partner_id = vals.get("partner_id")
            if not active or not survey or not partner_id:
                continue
            if (partner_id, record.id) in existing:
                continue
            existing.add((partner_id, record.id))
            vals.update(
                {
                    "company_id": company.id,
                    "survey_id": survey.id,
                    "trigger": trigger,
                    "res_model": record._name,
                    "res_id": record.id,
                    "scheduled_date": now + timedelta(days=delay),
                }
            )
            if not vals.get("user_id"):
                vals.pop("user_id", None)  # let the owner default to the salesperson
            vals_list.append(vals)
        return requests_sudo.create(vals_list)

    @api.model
    def _care_insert_from_trigger(self, trigger, records):
        """:meth:`_create_from_trigger` in one INSERT, for many records of one company
        whose requests name their owner: the same rows (its ORM create otherwise)."""
        requests_sudo = self.sudo()  # sudo: triggered by any user, see _create_from_trigger
        company = records.company_id
        if len(company) != 1:
            return self._create_from_trigger(trigger, records)
        active, survey, delay = company._satisfaction_trigger(trigger)
        if not active or not survey:
            return requests_sudo
        values = [record._satisfaction_request_values() for record in records]
        if not survey.satisfaction_kind or any(
            not vals.get("user_id") or not vals.get("partner_id") or vals.keys() - REQUEST_KEYS
            for vals in values
        ):
            return self._create_from_trigger(trigger, records)
        ids = self.env["loyalty.gesture"]._care_next_ids(self._table, len(records))
        now = fields.Datetime.now()
        self.env.execute_query(
            SQL(
                """
                -- the requests there already, read once before the insert (a NOT EXISTS
                -- on the table would scan the pages the insert is filling, once per row)
                WITH existing AS MATERIALIZED (
                    SELECT r.res_id, r.partner_id FROM satisfaction_request r
                     WHERE r.partner_id = ANY(%(partners)s) AND r.res_model = %(model)s
                       AND r.res_id = ANY(%(res_ids)s))
                INSERT INTO satisfaction_request (
                    id, partner_id, commercial_partner_id, company_id, survey_id, kind,
                    trigger, res_model, res_id, ticket_id, team_id, user_id, access_token,
                    scheduled_date, state, loop_state, is_satisfied, is_unhappy,
                    create_uid, create_date, write_uid, write_date)
                SELECT v.id, v.partner_id, p.commercial_partner_id, %(company)s,
                       %(survey)s, %(kind)s, %(trigger)s, %(model)s, v.res_id, t.id,
                       t.team_id, v.user_id, v.token, %(scheduled)s, 'pending', 'none',
                       FALSE, FALSE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(ids)s::int[], %(partners)s::int[], %(res_ids)s::int[],
                              %(tickets)s::int[], %(users)s::int[], %(tokens)s::varchar[])
                       AS v(id, partner_id, res_id, ticket_id, user_id, token)
                  JOIN res_partner p ON p.id = v.partner_id
                  LEFT JOIN helpdesk_ticket t ON t.id = v.ticket_id
                 WHERE NOT EXISTS (
                       SELECT 1 FROM existing r
                        WHERE r.res_id = v.res_id AND r.partner_id = v.partner_id)
                """,
                company=company.id,
                survey=survey.id,
                kind=survey.satisfaction_kind,
                trigger=trigger,
                model=records._name,
                scheduled=now + timedelta(days=delay),
                uid=self.env.uid,
                now=self.env.cr.now(),
                ids=ids,
                partners=[vals["partner_id"] for vals in values],
                res_ids=records.ids,
                tickets=[vals.get("ticket_id") or None for vals in values],
                users=[vals["user_id"] for vals in values],
                tokens=[_new_token() for _vals in values],
            )
        )
        return requests_sudo.browse(ids).exists()

    @api.model
    def _cron_relationship_nps(self, batch_size=500):
        """Ask active customers for a relationship NPS every N months, trickled.

        Active: a confirmed order in the last 12 months. At most the company's daily cap
        of requests are created per day, so a large base is asked over several days; the
        sending cron then applies the survey window and the contact policy as usual.
        Batch after batch for the time of a cron pass (:class:`CronClock`, one batch at
        least), committed one by one as a scheduled action; the companies left are
        reported so that Odoo calls again. Several workers: each batch claims its
        company's row (``SKIP LOCKED``).
        """
        clock = CronClock(self.env)
        if clock.hand_over():
            return self.browse()
        created = self.sudo()  # sudo: the cron asks for every customer
        companies = self.env["res.company"].search(
            [("satisfaction_relationship_trigger", "=", True)]
        )
        left = self.env["res.company"]
        for company in companies:
            while True:
                if left or not self._claim_company(company):
                    left |= company  # time is up, or another worker asks its customers now
                    break
                batch = self._relationship_batch(company, batch_size)
                created |= batch
                if batch:
                    commit_cron_chunk(self.env)
                if len(batch) < batch_size:
                    break
                if clock.expired():
                    left |= company
                    break
        self.env["ir.cron"]._notify_progress(done=len(created), remaining=len(left))
        return created

    @api.model
    def _claim_company(self, company):
        """Lock the company's row for this batch, unless another worker holds it; the row
        is written so that a worker claiming it next on an older snapshot fails to
        serialize instead of asking the same customers again."""
        self.flush_model()
        return self.env.execute_query(
            SQL(
                """UPDATE res_company SET write_date = write_date
                    WHERE id = (SELECT id FROM res_company WHERE id = %s
                                   FOR NO KEY UPDATE SKIP LOCKED)
                RETURNING id""",
                company.id,
            )
        )

    @api.model
    def _relationship_batch(self, company, batch_size):
        """Up to ``batch_size`` requests for the company's customers not asked yet,
        within what is left of today's cap."""
        now = fields.Datetime.now()
        today_start = datetime.combine(now.date(), time.min)
        requests_sudo = self.sudo()  # sudo: the cron asks for every customer
        __, survey, __ = company._satisfaction_trigger("relationship")
        asked_today = requests_sudo.search_count(
            [
                ("company_id", "=", company.id),
                ("trigger", "=", "relationship"),
                ("create_date", ">=", today_start),
            ]
        )
        room = min(company.satisfaction_relationship_daily_cap - asked_today, batch_size)
        if not survey or room <= 0:
            return requests_sudo
        self.env["sale.order"].flush_model(["partner_id", "company_id", "state", "date_order"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.commercial_partner_id
                  FROM sale_order so
                  JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %(company)s
                   AND so.state = 'sale'
                   AND so.date_order >= %(year_ago)s
                   AND NOT EXISTS (
                       SELECT 1 FROM satisfaction_request r
                        WHERE r.commercial_partner_id = p.commercial_partner_id
                          AND r.company_id = %(company)s
                          AND r.trigger = 'relationship'
                          AND r.create_date >= %(since)s)
                 GROUP BY p.commercial_partner_id
                 ORDER BY MAX(so.date_order) DESC, p.commercial_partner_id
                 LIMIT %(room)s
                """,
                company=company.id,
                year_ago=now - relativedelta(years=1),
                since=now - relativedelta(months=company.satisfaction_relationship_months),
                room=room,
            )
        )
        return requests_sudo.create(
            [
                {
                    "partner_id": partner_id,
                    "company_id": company.id,
                    "survey_id": survey.id,
                    "trigger": "relationship",
                    "res_model": "res.partner",
                    "res_id": partner_id,
                    "scheduled_date": now,
                }
                for (partner_id,) in rows
            ]
        )
