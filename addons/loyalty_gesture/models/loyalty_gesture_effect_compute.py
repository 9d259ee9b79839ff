from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from .care_helpers import CronClock, commit_cron_chunk, cron_due_since
from .loyalty_gesture_effect import (
    CASE_TABLE,
    DEFAULT_STRENGTH,
    LOOKBACK_DAYS,
    REPEAT_COMPLAINTS,
    cell_key,
    chance_spread,
    moments_strength,
    prior_strength,
    shrink,
)


class LoyaltyGestureEffect(models.Model):
    """The nightly computation of the gesture effects: past cases in a temporary table,
    grouped in SQL, rates shrunk in Python, stored in one DELETE and a few INSERTs."""

    _inherit = "loyalty.gesture.effect"

    @api.model
    def _cron_compute(self, since=None):
        """Recompute the companies not computed since the run became due (nightly, or
        *Recompute now*), one company after another for the time of a cron pass
        (:class:`CronClock`, one company at least); reports the companies left so that
        Odoo calls it again.

        A company is one unit: its cases go through a temporary table and grouped
        queries that cannot be split, so a company is one job, committed on its own (as a
        scheduled action). Several cron workers share the companies: each claims its
        company's row (``SKIP LOCKED``), and the figures are replaced, never added twice.
        """
        if since is None:
            since = cron_due_since(self.env)
        clock = CronClock(self.env)
        if clock.hand_over():
            return 0
        done = self.env["res.company"]
        while since:
            company = self._claim_company(since, exclude=done)
            if not company:
                break
            self.with_company(company)._compute_company_effects(company)
            self.env.cr.execute(
                SQL(
                    "UPDATE res_company SET care_effects_computed_on = %s WHERE id = %s",
                    fields.Datetime.now(),
                    company.id,
                )
            )
            company.invalidate_recordset(["care_effects_computed_on"])
            done |= company  # once per call, even if ``since`` is still ahead
            commit_cron_chunk(self.env)  # each company's figures on their own
            if clock.expired():
                break
        # sudo: the cron counts every company
        remaining = self.env["res.company"].sudo().search_count(self._due_companies(since))
        self.env["ir.cron"]._notify_progress(done=len(done), remaining=remaining)
        return len(done)

    @api.model
    def _due_companies(self, since):
        if not since:
            return [(0, "=", 1)]
        return [
            "|",
            ("care_effects_computed_on", "=", False),
            ("care_effects_computed_on", "<", since),
        ]

    @api.model
    def _claim_company(self, since, exclude):
        """The next company to compute that no other worker holds, locked until the commit."""
        self.env["res.company"].flush_model(["care_effects_computed_on"])
        rows = self.env.execute_query(
            SQL(
                """SELECT id FROM res_company
                    WHERE active
                      AND (care_effects_computed_on IS NULL OR care_effects_computed_on < %s)
                      AND id != ALL(%s)
                 ORDER BY id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED""",
                since,
                exclude.ids,
            )
        )
        # sudo: the cron computes every company
        return self.env["res.company"].sudo().browse(rows[0][0]) if rows else None

    @api.model
    def _compute_company_effects(self, company):
        """Rebuild the company's figures: a few grouped queries, whatever the history."""
        window = company.care_return_window_days or 90
        now = fields.Datetime.now()
        self._build_cases(company, now - timedelta(days=LOOKBACK_DAYS), now - timedelta(window))
        self.env["res.partner"]._care_metrics_as_of(SQL.identifier(CASE_TABLE), company, window)
        rows = self._aggregate_cases()
        records = self._shrink_rows(rows)
        self._store(company, records, now)
        return len(records)

    @api.model
    def _build_cases(self, company, since, until):
        """One row per past case in a temporary table: the gestures granted, and the
        tickets of the same period that got none (the baseline)."""
        self.env["loyalty.gesture"].flush_model()
        self.env["helpdesk.ticket"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                DROP TABLE IF EXISTS %(table)s;
                CREATE TEMP TABLE %(table)s (
                    id serial PRIMARY KEY,
                    company_id integer,
                    partner_id integer,
                    case_date timestamp,
                    ticket_id integer,
                    gesture_id integer,
                    type_id integer,
                    severity varchar,
                    team_id integer,
                    tier varchar DEFAULT 'standard',
                    detractor boolean DEFAULT false,
                    complaints integer DEFAULT 0,
                    returned boolean DEFAULT false,
                    return_revenue numeric DEFAULT 0,
                    has_coupon boolean DEFAULT false,
                    redeemed boolean DEFAULT false,
                    cost numeric DEFAULT 0,
                    next_nps double precision,
                    next_csat double precision
                );
                INSERT INTO %(table)s (company_id, partner_id, case_date, ticket_id, gesture_id,
                                       type_id, severity, team_id, has_coupon, cost)
                SELECT g.company_id, g.commercial_partner_id,
                       COALESCE(g.done_date, g.create_date), g.ticket_id, g.id, g.type_id,
                       COALESCE(g.severity, 'medium'), t.team_id,
                       g.coupon_card_id IS NOT NULL, COALESCE(g.cost, 0)
                  FROM loyalty_gesture g
             LEFT JOIN helpdesk_ticket t ON t.id = g.ticket_id
                 WHERE g.company_id = %(company)s
                   AND g.state IN ('done', 'followed_up')
                   AND COALESCE(g.done_date, g.create_date) >= %(since)s
                   AND COALESCE(g.done_date, g.create_date) < %(until)s;
                INSERT INTO %(table)s (company_id, partner_id, case_date, ticket_id,
                                       severity, team_id)
                SELECT t.company_id, t.commercial_partner_id, t.create_date, t.id,
                       CASE t.priority WHEN '0' THEN 'low' WHEN '2' THEN 'high'
                                       WHEN '3' THEN 'critical' ELSE 'medium' END,
                       t.team_id
                  FROM helpdesk_ticket t
                 WHERE t.company_id = %(company)s
                   AND t.commercial_partner_id IS NOT NULL
                   AND t.create_date >= %(since)s
                   AND t.create_date < %(until)s
                   AND NOT EXISTS (
                       SELECT 1 FROM loyalty_gesture g
                        WHERE g.ticket_id = t.id AND g.state NOT IN ('refused', 'cancelled'));
                CREATE INDEX ON %(table)s (partner_id);
                ANALYZE %(table)s;
                """,
                table=SQL.identifier(CASE_TABLE),
                company=company.id,
                since=since,
                until=until,
            )
        )

    @api.model
    def _aggregate_cases(self):
        """The cases grouped by gesture type (none: baseline) and kind of case."""
        return self.env.execute_query(
            SQL(
                """
                SELECT type_id, severity, team_id, tier, detractor, complaints >= %(repeat)s,
                       COUNT(*), COUNT(*) FILTER (WHERE returned),
                       COALESCE(SUM(return_revenue) FILTER (WHERE returned), 0),
                       COUNT(*) FILTER (WHERE has_coupon), COUNT(*) FILTER (WHERE redeemed),
                       COALESCE(SUM(cost), 0),
                       COUNT(next_nps), AVG(next_nps), COUNT(next_csat), AVG(next_csat)
                  FROM %(table)s
              GROUP BY 1, 2, 3, 4, 5, 6
                """,
                table=SQL.identifier(CASE_TABLE),
                repeat=REPEAT_COMPLAINTS,
            )
        )

    @api.model
    def _shrink_rows(self, rows):
        """Empirical-Bayes rates per (type, kind of case) and per type, as dicts to store.

        The company's rate over every case is the prior of each type (baseline included),
        each type's shrunk rate the prior of its kinds of case; prior strengths come from
        the spread between groups (:func:`prior_strength`).
        """
        cells = defaultdict(list)  # type id (0: baseline): [row]
        for row in rows:
            type_id, severity, team_id, tier, detractor, repeat, n, k, *figures = row
            cells[type_id or 0].append(
                {
                    "key": cell_key(severity, team_id, tier, detractor, repeat),
                    "severity": severity,
                    "team_id": team_id,
                    "tier": tier,
                    "detractor": bool(detractor),
                    "repeat": bool(repeat),
                    "n": n,
                    "k": k,
                    "figures": figures,
                }
            )
        total = sum(c["n"] for group in cells.values() for c in group)
        if not total:
            return []
        returns = sum(c["k"] for group in cells.values() for c in group)
        revenue = sum(float(c["figures"][0]) for group in cells.values() for c in group)
        global_rate = returns / total
        return_value = revenue / returns if returns else 0.0
        per_type = {t: (sum(c["n"] for c in g), sum(c["k"] for c in g)) for t, g in cells.items()}
        type_strength = prior_strength(per_type.values(), global_rate) or DEFAULT_STRENGTH
        type_rates = {t: shrink(n, k, global_rate, type_strength) for t, (n, k) in per_type.items()}
        pooled = self._pooled_strength(cells, type_rates)
        baseline = {c["key"]: c for c in cells.get(0, ())}
        baseline_type = type_rates.get(0)
        records = []
        for type_id, group in cells.items():
            mean = type_rates[type_id][0]
            strength = (
                prior_strength([(c["n"], c["k"]) for c in group], mean) if len(group) >= 3 else None
            ) or pooled
            for cell in group:
                cell["rate"] = shrink(cell["n"], cell["k"], mean, strength)
                cell["strength"] = strength
            records.append(
                self._record_values(
                    type_id,
                    None,
                    group,
                    type_rates[type_id],
                    type_strength,
                    baseline_type,
                    return_value,
                )
            )
        for type_id, group in cells.items():
            for cell in group:
                base_cell = baseline.get(cell["key"])
                base = base_cell["rate"] if base_cell else baseline_type
                records.append(
                    self._record_values(
                        type_id, cell, [cell], cell["rate"], cell["strength"], base, return_value
                    )
                )
        return records

    @api.model
    def _pooled_strength(self, cells, type_rates):
        """Prior strength of the kinds of case, pooled over every type (method of moments)."""
        spread = count = total = 0.0
        for type_id, group in cells.items():
            mean = type_rates[type_id][0]
            if not 0.0 < mean < 1.0:
                continue
            spread += chance_spread([(c["n"], c["k"]) for c in group], mean)
            count += len(group)
            total += sum(c["n"] for c in group)
        return moments_strength(spread, count, total) or DEFAULT_STRENGTH

    @api.model
    def _record_values(self, type_id, cell, group, rate, strength, baseline, return_value):
        """One row to store: a kind of case (``cell``) or all the type's cases (None)."""
        n = sum(c["n"] for c in group)
        k = sum(c["k"] for c in group)
        figures = [sum(float(c["figures"][i] or 0) for c in group) for i in range(6)]
        _revenue, coupons, redeemed, cost, nps_count, _nps = figures
        csat_count = sum(c["figures"][6] for c in group)
        nps_sum = sum(float(c["figures"][5] or 0) * c["figures"][4] for c in group)
        csat_sum = sum(float(c["figures"][7] or 0) * c["figures"][6] for c in group)
        base_rate = baseline[0] if baseline else None
        lift = rate[0] - base_rate if base_rate is not None else 0.0
        average_cost = cost / n if n else 0.0
        return {
            "type_id": type_id or None,
            "is_baseline": not type_id,
            "scope": "case" if cell else "type",
            "cell_key": cell["key"] if cell else "*",
            "severity": cell["severity"] if cell else None,
            "team_id": cell["team_id"] if cell else None,
            "tier": cell["tier"] if cell else None,
            "detractor": cell["detractor"] if cell else False,
            "repeat_complaints": cell["repeat"] if cell else False,
            "case_count": n,
            "return_count": k,
            "raw_return_rate": 100.0 * k / n if n else 0.0,
            "return_rate": 100.0 * rate[0],
            "return_rate_low": 100.0 * rate[1],
            "return_rate_high": 100.0 * rate[2],
            "baseline_rate": 100.0 * base_rate if base_rate is not None else None,
            "lift": 100.0 * lift,
            "return_value": return_value,
            "cost": average_cost,
            "total_cost": cost,
            "net_value": lift * return_value - average_cost if type_id else 0.0,
            "coupon_count": int(coupons),
            "redeemed_count": int(redeemed),
            "redemption_rate": 100.0 * redeemed / coupons if coupons else None,
            "nps_count": int(nps_count),
            "next_nps": nps_sum / nps_count if nps_count else None,
            "csat_count": csat_count,
            "next_csat": csat_sum / csat_count if csat_count else None,
            "prior_strength": strength,
        }

    @api.model
    def _store(self, company, records, now):
        """Replace the company's figures: one DELETE, one INSERT per thousand rows."""
        cr = self.env.cr
        cr.execute(SQL("DELETE FROM loyalty_gesture_effect WHERE company_id = %s", company.id))
        columns = list(records[0]) if records else []
        names = SQL(", ").join(SQL.identifier(name) for name in columns)
        for batch in split_every(1000, records):
            values = SQL(", ").join(
                SQL(
                    "(%s, %s, %s, %s, %s, %s, %s)",
                    company.id,
                    now,
                    self.env.uid,
                    now,
                    self.env.uid,
                    now,
                    SQL(", ").join(SQL("%s", record[name]) for name in columns),
                )
                for record in batch
            )
            cr.execute(
                SQL(
                    "INSERT INTO loyalty_gesture_effect (company_id, computed_on, create_uid, "
                    "create_date, write_uid, write_date, %s) VALUES %s",
                    names,
                    values,
                )
            )
        self.invalidate_model()
