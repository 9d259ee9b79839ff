import numpy as np

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import churn, churn_sql

# pg_try_advisory_xact_lock(class, company): one scorer per company at a time
LOCK_CLASS = 74201


class WinbackCustomerScore(models.Model):
    """The scoring of a company, under an advisory lock: its churn model and figures
    (one job), then its scores written at once or, by the scheduled action, in chunks
    (``winback_customer_score_chunks``)."""

    _inherit = "winback.customer.score"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _compute_company_scores(self, company, today=None, refit=False):
        """Recompute every customer of ``company`` in a fixed number of queries, in this
        transaction (the scheduled action writes big companies in chunks instead:
        ``winback_customer_score_chunks``).

        The company's churn model is refitted first when ``refit`` or when it was not
        fitted today (:meth:`winback.churn.fit._fit_company`). Returns False when another
        transaction is scoring the same company.
        """
        today = today or fields.Date.context_today(self)
        if not self._lock_company(company):
            return False
        prepared = self._prepare_scores(company, today, refit)
        if prepared:
            self._upsert_scores(company, today, *prepared)
        self._delete_gone_scores(company)
        self._scored(company, today)
        return True

    @api.model
    def _lock_company(self, company):
        """Whether this transaction may score ``company`` (no other one is scoring it)."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK_CLASS, company.id))
        return self.env.cr.fetchone()[0]

    @api.model
    def _prepare_scores(self, company, today, refit):
        """The figures of ``company``'s customers in the temporary table
        ``winback_score_input``, and ``(params, fit)`` of its churn model (None without
        customers): the model fit, one job per company."""
        cr = self.env.cr
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
        # 2. the MBG/NBD population parameters, fitted on the distinct histories (in a
        # fixed order: the fit's sums, and so its parameters, do not depend on the plan)
        histories = self.env.execute_query(
            SQL(
                """
                SELECT days - 1, span, GREATEST(age, span), COUNT(*)
                  FROM winback_score_input GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """
            )
        )
        if not histories:
            return None
        x, tx, T, weights = (np.array(c, dtype=float) for c in zip(*histories, strict=True))
        return churn.fit(x.astype(int), tx, T, weights=weights), fit

    @api.model
    def _gone_scores_sql(self, company):
        """SQL: the customers scored in ``company`` without confirmed orders any more
        (cancelled), unless lost; a set difference: linear whatever the planner knows of
        fresh rows."""
        return SQL(
            """
            SELECT partner_id FROM winback_customer_score
             WHERE company_id = %s AND lost_reason_id IS NULL
            EXCEPT
            SELECT partner_id FROM winback_score_input
            """,
            company.id,
        )

    @api.model
    def _delete_gone_scores(self, company):
        gone = self.env.execute_query(SQL("%s", self._gone_scores_sql(company)))
        if gone:
            self.env.cr.execute(
                SQL(
                    "DELETE FROM winback_customer_score "
                    "WHERE company_id = %s AND partner_id = ANY(%s)",
                    company.id,
                    [row[0] for row in gone],
                )
            )

    @api.model
    def _scored(self, company, today):
        """``company`` is scored for ``today``: no scoring under way any more."""
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS winback_score_input"))
        if company.winback_score_staged_on:
            self.env.cr.execute(SQL("DROP TABLE IF EXISTS %s", self._stage_table(company)))
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_company
                   SET winback_scored_on = %s, winback_score_staged_on = NULL,
                       winback_score_cursor = 0
                 WHERE id = %s
                """,
                today,
                company.id,
            )
        )
        self.invalidate_model()
        company.invalidate_recordset(
            ["winback_scored_on", "winback_score_staged_on", "winback_score_cursor"]
        )
