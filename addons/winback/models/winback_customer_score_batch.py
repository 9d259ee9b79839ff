import numpy as np

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import churn, churn_sql

# pg_try_advisory_xact_lock(class, company): one scorer per company at a time
LOCK_CLASS = 74201


class WinbackCustomerScore(models.Model):
    """The scoring runs: a company at a time under an advisory lock, a batch of
    companies per cron call."""

    _inherit = "winback.customer.score"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_compute_scores(self, batch=5):
        """Score the companies not yet scored today, ``batch`` companies per call.

        Safe for several cron workers: a company being scored by another transaction
        is skipped (advisory lock); rerunning on the same day changes nothing.
        """
        today = fields.Date.context_today(self)
        domain = [
            "|",
            ("winback_scored_on", "=", False),
            ("winback_scored_on", "<", today),
        ]
        companies = self.env["res.company"].search(domain, limit=batch, order="id")
        done = sum(1 for company in companies if self._compute_company_scores(company, today))
        remaining = self.env["res.company"].search_count(domain)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)

    @api.model
    def _compute_company_scores(self, company, today=None, refit=False):
        """Recompute every customer of ``company`` in a fixed number of queries.

        The company's churn model is refitted first when ``refit`` or when it was not
        fitted today (:meth:`winback.churn.fit._fit_company`). Returns False when another
        transaction is scoring the same company.
        """
        today = today or fields.Date.context_today(self)
        cr = self.env.cr
        cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK_CLASS, company.id))
        if not cr.fetchone()[0]:
            return False
        self.env["sale.order"].flush_model(
            ["partner_id", "company_id", "state", "date_order", "amount_untaxed", "currency_rate"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["satisfaction.request"].flush_model(
            ["commercial_partner_id", "company_id", "kind", "score", "state", "answered_date"]
        )
        self.env["loyalty.gesture"].flush_model(["commercial_partner_id", "company_id", "state"])
        self.env["helpdesk.ticket"].flush_model(["partner_id", "company_id"])
        self.flush_model()
        fits = self.env["winback.churn.fit"].sudo()  # sudo: the system fits, managers read
        fit = fits._latest(company)
        if (
            refit
            or not fit
            or fit.date != today
            or fit.configured_horizon_days != company.winback_horizon_days
        ):
            fit = fits._fit_company(company, today)
        # 1. per-customer figures, computed and kept in PostgreSQL
        cr.execute(SQL("DROP TABLE IF EXISTS winback_score_input"))
        cr.execute(
            SQL(
                """
                CREATE TEMP TABLE winback_score_input ON COMMIT DROP AS
                WITH gaps AS (
                    SELECT d.*, d.day - LAG(d.day) OVER (PARTITION BY d.partner_id
                                                         ORDER BY d.day) AS gap
                      FROM (%(orders)s) d
                )
                SELECT 0 AS k, partner_id, %(aggregates)s FROM gaps GROUP BY partner_id
                """,
                orders=churn_sql.orders_sql(company.id, today),
                aggregates=churn_sql.aggregates_sql(SQL("%s::date", today)),
            )
        )
        cr.execute(SQL("ANALYZE winback_score_input (partner_id)"))  # row counts for the planner
        # 2. the MBG/NBD population parameters, fitted on the distinct histories
        histories = self.env.execute_query(
            SQL(
                """
                SELECT days - 1, span, GREATEST(age, span), COUNT(*)
                  FROM winback_score_input GROUP BY 1, 2, 3
                """
            )
        )
        if histories:
            x, tx, T, weights = (np.array(c, dtype=float) for c in zip(*histories, strict=True))
            params = churn.fit(x.astype(int), tx, T, weights=weights)
            self._upsert_scores(company, today, params, fit)
        # customers without confirmed orders any more (cancelled) leave, unless lost;
        # a set difference first: linear whatever the planner knows of fresh rows
        gone = self.env.execute_query(
            SQL(
                """
                SELECT partner_id FROM winback_customer_score
                 WHERE company_id = %s AND lost_reason_id IS NULL
                EXCEPT
                SELECT partner_id FROM winback_score_input
                """,
                company.id,
            )
        )
        if gone:
            cr.execute(
                SQL(
                    "DELETE FROM winback_customer_score "
                    "WHERE company_id = %s AND partner_id = ANY(%s)",
                    company.id,
                    [row[0] for row in gone],
                )
            )
        cr.execute(SQL("DROP TABLE winback_score_input"))
        cr.execute(
            SQL("UPDATE res_company SET winback_scored_on = %s WHERE id = %s", today, company.id)
        )
        self.invalidate_model()
        company.invalidate_recordset(["winback_scored_on"])
        return True
