from odoo import api, fields, models
from odoo.addons.loyalty_gesture.models.care_helpers import (
    CronClock,
    background_notice,
)
from odoo.exceptions import AccessError
from odoo.tools import SQL, format_date

from .winback_customer_score_sql import score_columns

CHUNK_ROWS = 20000  # scores written per chunk: a company of 1M customers in 50 chunks


class WinbackCustomerScore(models.Model):
    """The scheduled scoring: the button asks, the scheduled action scores.

    Each call of the action works for ``cron_chunk_seconds()`` then reports what remains.
    A company's churn model and figures are one job (one call); a company with more
    customers than a chunk has its scores staged in an unlogged table of its own, then
    written by partner id ranges, each range committed with its cursor on the company:
    a crash or a restart resumes after the last range written, and rewriting a range
    writes the same rows (an upsert).
    """

    _inherit = "winback.customer.score"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def action_recompute(self):
        """Ask the scheduled action to rescore the user's companies (button): the work
        grows with the customers (142 s at 1M), a request would outlive the worker."""
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            raise AccessError(self.env._("Only a Customer Care manager can recompute statuses."))
        companies = self.env.companies
        self.env.cr.execute(
            SQL(
                "UPDATE res_company SET winback_score_requested = TRUE WHERE id IN %s",
                tuple(companies.ids),
            )
        )
        companies.invalidate_recordset(["winback_score_requested"])
        # sudo: managers start the scoring job, they may not read scheduled actions
        self.env.ref("winback.ir_cron_winback_scores").sudo()._trigger()
        scored = [c.winback_scored_on for c in companies if c.winback_scored_on]
        message = self.env._("Customer statuses are being recomputed in the background.")
        if scored:
            message += " " + self.env._(
                "Last computed on %(date)s.", date=format_date(self.env, min(scored))
            )
        return background_notice(message)

    @api.model
    def _scoring_due_domain(self, today):
        return [
            "|",
            "|",
            ("winback_score_requested", "=", True),
            ("winback_scored_on", "=", False),
            ("winback_scored_on", "<", today),
        ]

    @api.model
    def _cron_compute_scores(self, batch=5, chunk_rows=CHUNK_ROWS):
        """Score the companies due (not scored today, or asked for), within one call's
        time; returns the companies remaining (reported to the cron as well).

        Safe for several cron workers: a company being scored by another transaction
        is skipped (advisory lock); rerunning on the same day changes nothing.
        """
        clock = CronClock(self.env)
        if clock.hand_over():
            return None
        done, remaining = self._compute_due_scores(clock, batch, chunk_rows)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return remaining

    @api.model
    def _compute_due_scores(self, clock=None, batch=5, chunk_rows=CHUNK_ROWS):
        """``(work done, companies remaining)``: up to ``batch`` due companies, those
        under way first, until ``clock`` expires (without a clock: all of them)."""
        today = fields.Date.context_today(self)
        domain = self._scoring_due_domain(today)
        companies = self.env["res.company"].search(
            domain, limit=batch, order="winback_score_staged_on, id"
        )
        done = 0
        for company in companies:
            done += self._score_company_step(company, today, clock, chunk_rows)
            if clock and clock.expired():
                break
        return done, self.env["res.company"].search_count(domain)

    @api.model
    def _score_company_step(self, company, today, clock, chunk_rows):
        """Score ``company`` as far as ``clock`` allows; returns the work done (1 for the
        model and figures, plus the scores written), 0 when another transaction has it."""
        if not self._lock_company(company):
            return 0
        done = 0
        if company.winback_score_staged_on != today or not self._stage_ready(company):
            refit = company.winback_score_requested
            self.env.cr.execute(
                SQL(
                    "UPDATE res_company SET winback_score_requested = FALSE WHERE id = %s",
                    company.id,
                )
            )
            company.invalidate_recordset(["winback_score_requested"])
            prepared = self._prepare_scores(company, today, refit)
            size = self.env.execute_query(SQL("SELECT COUNT(*) FROM winback_score_input"))[0][0]
            done += 1
            if not chunk_rows or size <= chunk_rows:
                if prepared:
                    self._upsert_scores(company, today, *prepared)
                self._delete_gone_scores(company)
                self._scored(company, today)
                return done + size
            self._stage_scores(company, today, prepared)
            if clock and clock.expired():
                return done
        while True:
            written = self._write_score_chunk(company, chunk_rows)
            if not written:
                self._scored(company, today)
                return done
            done += written
            if clock and clock.expired():
                return done

    @api.model
    def _stage_table(self, company):
        return SQL.identifier(f"winback_score_stage_{int(company.id)}")

    @api.model
    def _stage_ready(self, company):
        """Whether ``company``'s stage table is there with its rows (PostgreSQL empties
        unlogged tables when it restarts after a crash: the scores are staged again)."""
        name = f"winback_score_stage_{int(company.id)}"
        if not self.env.execute_query(SQL("SELECT to_regclass(%s) IS NOT NULL", name))[0][0]:
            return False
        stage = self._stage_table(company)
        return self.env.execute_query(SQL("SELECT EXISTS (SELECT 1 FROM %s)", stage))[0][0]

    @api.model
    def _stage_scores(self, company, today, prepared):
        """Compute every score of ``company`` into its stage table (the quintiles rank
        all customers together), with the customers whose score goes (``gone``)."""
        cr, stage = self.env.cr, self._stage_table(company)
        cr.execute(SQL("DROP TABLE IF EXISTS %s", stage))
        cr.execute(
            SQL(
                "CREATE UNLOGGED TABLE %s AS SELECT %s, FALSE AS gone "
                "FROM winback_customer_score WITH NO DATA",
                stage,
                score_columns(),
            )
        )
        if prepared:
            cr.execute(
                SQL(
                    "INSERT INTO %s (%s) %s",
                    stage,
                    score_columns(),
                    self._score_select(company, today, *prepared),
                )
            )
        cr.execute(
            SQL(
                "INSERT INTO %s (company_id, partner_id, gone) SELECT %s, partner_id, TRUE "
                "FROM (%s) g",
                stage,
                company.id,
                self._gone_scores_sql(company),
            )
        )
        cr.execute(SQL("CREATE INDEX ON %s (partner_id)", stage))
        cr.execute(SQL("DROP TABLE winback_score_input"))
        cr.execute(
            SQL(
                "UPDATE res_company SET winback_score_staged_on = %s, winback_score_cursor = 0 "
                "WHERE id = %s",
                today,
                company.id,
            )
        )
        company.invalidate_recordset(["winback_score_staged_on", "winback_score_cursor"])

    @api.model
    def _write_score_chunk(self, company, chunk_rows):
        """Write the next ``chunk_rows`` staged customers after the company's cursor and
        move the cursor past them; returns how many (0: all written)."""
        cr, stage = self.env.cr, self._stage_table(company)
        cursor = company.winback_score_cursor
        [(count, bound)] = self.env.execute_query(
            SQL(
                "SELECT COUNT(*), MAX(partner_id) FROM (SELECT partner_id FROM %s "
                "WHERE partner_id > %s ORDER BY partner_id LIMIT %s) c",
                stage,
                cursor,
                chunk_rows,
            )
        )
        if not count:
            return 0
        in_range = SQL("partner_id > %s AND partner_id <= %s", cursor, bound)
        self._upsert_from(SQL("SELECT * FROM %s WHERE %s AND gone IS NOT TRUE", stage, in_range))
        cr.execute(
            SQL(
                """
                DELETE FROM winback_customer_score
                 WHERE company_id = %s AND lost_reason_id IS NULL AND partner_id IN (
                       SELECT partner_id FROM %s WHERE %s AND gone IS TRUE)
                """,
                company.id,
                stage,
                in_range,
            )
        )
        cr.execute(
            SQL("UPDATE res_company SET winback_score_cursor = %s WHERE id = %s", bound, company.id)
        )
        company.invalidate_recordset(["winback_score_cursor"])
        self.invalidate_model()
        return count
