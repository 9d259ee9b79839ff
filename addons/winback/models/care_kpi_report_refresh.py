import time

from odoo import api, fields, models
from odoo.addons.loyalty_gesture.models.care_helpers import CronClock
from odoo.tools import SQL

from .care_kpi_report import GESTURE_DAYS, REFRESH_MONTHS, RETENTION_MONTHS, _month


class CareKpiReport(models.Model):
    """The background refresh of the dashboard: only the months whose figures read a
    record written since the company's last refresh, a few months per call.

    A pass starts on the companies the Refresh button or the dashboard marked
    (``care_kpi_started_on``), or on every company (the nightly run). Each call of the
    scheduled action recomputes months until ``cron_chunk_seconds()`` is spent and
    reports the companies remaining; a company's pass ends by setting
    ``care_kpi_computed_on`` to the pass's start: what was written after it is found by
    the next pass. A call rerun after a crash computes again the months its rolled-back
    transaction had computed (an upsert).
    """

    _inherit = "care.kpi.report"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _request_refresh(self, companies):
        """Mark ``companies`` for the background refresh and wake the scheduled action."""
        self.env.cr.execute(
            SQL(
                "UPDATE res_company SET care_kpi_started_on = %s "
                "WHERE id IN %s AND care_kpi_started_on IS NULL",
                self.env.cr.now(),
                tuple(companies.ids),
            )
        )
        companies.invalidate_recordset(["care_kpi_started_on"])
        # sudo: managers start the refresh job, they may not read scheduled actions
        self.env.ref("winback.ir_cron_care_kpi_refresh").sudo()._trigger()

    @api.model
    def _cron_refresh(self):
        """Scheduled action: refresh the companies marked (or all of them) within the time
        of a cron pass; returns the companies remaining (reported to the cron as well)."""
        clock = CronClock(self.env)
        if clock.hand_over():
            return None
        done, remaining = self._refresh_due(clock)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return remaining

    @api.model
    def _refresh_due(self, clock=None):
        """``(months and companies done, companies remaining)`` of the pass under way
        (a new one on every company when none is), until ``clock`` expires (without a
        clock: the whole pass)."""
        companies = self.env["res.company"]
        marked = [("care_kpi_started_on", "!=", False)]
        due = companies.search(marked, order="id")
        if not due:
            due = companies.search([], order="id")
            if due:
                self.env.cr.execute(
                    SQL(
                        "UPDATE res_company SET care_kpi_started_on = %s WHERE id IN %s",
                        self.env.cr.now(),
                        tuple(due.ids),
                    )
                )
                due.invalidate_recordset(["care_kpi_started_on"])
        done = 0
        for company in due:
            months, finished = self._refresh_company(company, clock)
            done += months + finished
            if clock and clock.expired():
                break
        return done, companies.search_count(marked)

    @api.model
    def _refresh_company(self, company, clock=None):
        """Recompute ``company``'s months to refresh as far as ``clock`` allows;
        ``(months computed, whether the company's pass is over)``.

        The months are found at the pass's first call and kept on the company with the
        ones left (``care_kpi_pending_months``), in the transaction that computes them:
        a call rolled back leaves them to the next one.
        """
        started = company.care_kpi_started_on
        if company.care_kpi_pending_months:
            todo = [fields.Date.to_date(day) for day in company.care_kpi_pending_months.split(",")]
        else:
            todo = sorted(
                self._months_to_refresh(company, company.care_kpi_computed_on), reverse=True
            )  # this month first
        size, count = (1, 0) if clock else (len(todo), 0)
        while todo:
            batch, todo = todo[:size], todo[size:]
            begin = time.monotonic()
            self._refresh(company, batch)
            count += len(batch)
            if todo and clock:
                if clock.expired():
                    self._set_pending(company, todo)
                    return count, False
                # a batch costs little more with more months: grow it while time allows
                if 4 * (time.monotonic() - begin) < clock.deadline - time.monotonic():
                    size *= 2
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_company
                   SET care_kpi_computed_on = %s, care_kpi_started_on = NULL,
                       care_kpi_pending_months = NULL
                 WHERE id = %s
                """,
                started,
                company.id,
            )
        )
        company.invalidate_recordset(
            ["care_kpi_computed_on", "care_kpi_started_on", "care_kpi_pending_months"]
        )
        return count, True

    @api.model
    def _set_pending(self, company, months):
        self.env.cr.execute(
            SQL(
                "UPDATE res_company SET care_kpi_pending_months = %s WHERE id = %s",
                ",".join(fields.Date.to_string(month) for month in months),
                company.id,
            )
        )
        company.invalidate_recordset(["care_kpi_pending_months"])

    @api.model
    def _months_to_refresh(self, company, since):
        """The first days of the months whose figures read a record of ``company``
        written after ``since``, among the last REFRESH_MONTHS months and the months
        already stored; every month of the last REFRESH_MONTHS without figures (all of
        them when ``since`` is empty).

        An order weighs on the retention and repurchase windows of the 24 months from
        its own, on the gestures of the 90 days before it (revenue after a gesture, and
        a coupon it redeems), on the comparable customers of the 12 months after it;
        an answer, a gesture or a campaign member on their own months.
        """
        window = set(self._last_months(REFRESH_MONTHS))
        self.flush_model(["company_id", "period"])
        stored = {
            period
            for [period] in self.env.execute_query(
                SQL(
                    "SELECT DISTINCT period FROM care_kpi_report WHERE company_id = %s",
                    company.id,
                )
            )
        }
        if not since:
            return window
        for model in (
            "sale.order",
            "sale.order.line",
            "satisfaction.request",
            "loyalty.gesture",
            "winback.campaign",
            "winback.campaign.member",
        ):
            self.env[model].flush_model()
        changed = self.env.execute_query(
            SQL(
                """
                WITH orders AS (
                    SELECT DISTINCT date_trunc('month', date_order) AS m
                      FROM sale_order WHERE company_id = %(company)s AND write_date > %(since)s
                )
                SELECT DISTINCT m::date FROM (
                    SELECT generate_series(date_trunc('month', m - %(days)s::interval),
                                           m + %(span)s::interval, '1 month') AS m
                      FROM orders
                    UNION ALL
                    SELECT date_trunc('month', g.done_date)
                      FROM sale_order so
                      JOIN sale_order_line l ON l.order_id = so.id
                      JOIN loyalty_gesture g ON g.coupon_card_id = l.coupon_id
                     WHERE so.company_id = %(company)s AND so.write_date > %(since)s
                    UNION ALL
                    SELECT date_trunc('month', d)
                      FROM satisfaction_request r,
                           unnest(ARRAY[r.sent_date, r.answered_date, r.loop_opened_date]) d
                     WHERE r.company_id = %(company)s AND r.write_date > %(since)s
                    UNION ALL
                    SELECT date_trunc('month', done_date) FROM loyalty_gesture
                     WHERE company_id = %(company)s AND write_date > %(since)s
                    UNION ALL
                    SELECT date_trunc('month', c.date_start)
                      FROM winback_campaign c
                     WHERE c.company_id = %(company)s AND (c.write_date > %(since)s OR EXISTS (
                           SELECT 1 FROM winback_campaign_member cm
                            WHERE cm.campaign_id = c.id AND cm.write_date > %(since)s))
                ) months
                 WHERE m IS NOT NULL
                """,
                company=company.id,
                since=since,
                days=f"{GESTURE_DAYS} days",
                span=f"{2 * RETENTION_MONTHS - 1} months",
            )
        )
        changed = {_month(m) for [m] in changed}
        return (changed & (window | stored)) | (window - stored)
