"""The benchmarks' operations at a small scale, as a regression check (not on times).

A few thousand synthetic customers (tests/benchmarks/datagen.py, set-based SQL) inside a
transaction; each set-based result is compared with a straightforward per-customer
Python computation over the raw rows that shares no code with the addons (except the
churn model's fitter, a numeric optimiser tested on its own in test_churn_model), and
the query counts must not change when the number of customers grows.
"""

import hashlib
import itertools
import math
import os
import statistics
import sys
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.addons.winback.tests.row_snapshot import created_rows, diff
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "benchmarks"))
import datagen  # tests/benchmarks is not a package

CUSTOMERS = 2000
MORE = 1000
STATUSES = ("at_risk", "dormant", "lost")


def ntile(sorted_keys, buckets=5):
    """PostgreSQL's ntile(): the first n % buckets groups get one row more."""
    n = len(sorted_keys)
    size, extra = divmod(n, buckets)
    result, index = {}, 0
    for bucket in range(1, buckets + 1):
        for _i in range(size + (1 if bucket <= extra else 0)):
            result[sorted_keys[index]] = bucket
            index += 1
    return result


@tagged("post_install", "-at_install")
class TestBenchmarkSmall(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        datagen.generate(cls.env, CUSTOMERS)
        cls.customers = datagen.customer_ids(cls.env)

    # --- straightforward reference computations over raw rows ---

    def _orders(self):
        """{customer: [(day, amount, date_order)]} of the company's confirmed orders."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.commercial_partner_id, so.date_order, so.amount_untaxed,
                       so.currency_rate
                  FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
                 WHERE so.company_id = %s AND so.state = 'sale'
                """,
                self.company.id,
            )
        )
        orders = defaultdict(list)
        for partner, date_order, amount, rate in self.env.cr.fetchall():
            if date_order.date() <= self.today:
                orders[partner].append((date_order.date(), float(amount) / float(rate or 1)))
        return orders

    def _reference_scores(self):
        company, today = self.company, self.today
        rows = {}
        for partner, orders in self._orders().items():
            by_day = defaultdict(float)
            for day, amount in orders:
                by_day[day] += amount
            days = sorted(by_day)
            gaps = [(b - a).days for a, b in itertools.pairwise(days)]
            median = statistics.median(gaps) if gaps else 0.0
            recency = (today - days[-1]).days
            revenue = sum(by_day.values())
            r12 = sum(v for d, v in by_day.items() if d > today - timedelta(days=365))
            prev = sum(
                v
                for d, v in by_day.items()
                if today - timedelta(days=730) < d <= today - timedelta(days=365)
            )
            trend = 100.0 * (r12 - prev) / prev if prev > 0 else 0.0
            revenue_drop = prev > 0 and trend <= -company.winback_revenue_drop
            rows[partner] = {
                "revenue_drop": revenue_drop,
                "gap_cv": statistics.stdev(gaps) / statistics.mean(gaps)
                if len(gaps) >= 2 and statistics.mean(gaps) > 0
                else 0.0,
                "recent": sum(1 for d in days if d > today - timedelta(days=180)),
                "before": sum(
                    1
                    for d in days
                    if today - timedelta(days=360) < d <= today - timedelta(days=180)
                ),
                "order_count": len(orders),
                "purchase_days": len(days),
                "first_order_date": days[0],
                "last_order_date": days[-1],
                "days_since_last_order": recency,
                "revenue": revenue,
                "revenue_12m": r12,
                "median_interval": median,
                "x": len(days) - 1,
                "tx": (days[-1] - days[0]).days,
                "T": max((today - days[0]).days, (days[-1] - days[0]).days),
            }
        ids = sorted(rows)
        r = ntile(sorted(ids, key=lambda p: (rows[p]["last_order_date"], p)))
        f = ntile(sorted(ids, key=lambda p: (rows[p]["purchase_days"], rows[p]["order_count"], p)))
        m = ntile(sorted(ids, key=lambda p: (rows[p]["revenue"], p)))
        for p in ids:
            rows[p]["rfm_segment"] = f"{r[p]}{f[p]}{m[p]}"
        return rows

    def _scores(self):
        scores = self.env["winback.customer.score"].search([("company_id", "=", self.company.id)])
        return {s.partner_id.id: s for s in scores}

    def _count_queries(self, func):
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        result = func()
        self.env.flush_all()
        return self.env.cr.sql_log_count - before, result

    def _grow(self):
        """MORE customers more, as the benchmark generates them."""
        datagen.generate(self.env, MORE)
        self.env.invalidate_all()

    # --- tests ---

    def test_scoring_matches_a_per_customer_computation(self):
        model = self.env["winback.customer.score"]
        # the model fitted on this data (the nightly action refits once a day), then the
        # scoring alone, counted
        model._compute_company_scores(self.company, refit=True)
        queries, _done = self._count_queries(lambda: model._compute_company_scores(self.company))
        reference, scores = self._reference_scores(), self._scores()
        # customers with a recorded lost reason keep it (and their row) whatever the orders
        recorded = {p for p, s in scores.items() if s.lost_reason_id}
        self.assertEqual(set(scores) - recorded, set(reference) - recorded)
        self.assertGreaterEqual(len(scores), CUSTOMERS)
        for partner, ref in reference.items():
            if partner in recorded:
                continue
            score = scores[partner]
            for key in (
                "order_count",
                "purchase_days",
                "first_order_date",
                "last_order_date",
                "days_since_last_order",
                "rfm_segment",
            ):
                self.assertEqual(score[key], ref[key], f"{key} of customer {partner}")
            self.assertAlmostEqual(score.revenue, ref["revenue"], delta=0.01)
            self.assertAlmostEqual(score.revenue_12m, ref["revenue_12m"], delta=0.01)
            self.assertAlmostEqual(score.median_interval, ref["median_interval"], places=6)
        # churn risk: the model's formulas applied here in plain Python, one customer at a
        # time, with parameters fitted on one row per customer (the addon fits distinct
        # histories with their counts, in SQL-side groups), and the company's stored fit
        import numpy as np

        from odoo.addons.winback.tools import churn

        ids = sorted(reference)
        r, alpha, a, b = params = churn.fit(
            [reference[p]["x"] for p in ids],
            [reference[p]["tx"] for p in ids],
            [reference[p]["T"] for p in ids],
        )
        fit = self.env["winback.churn.fit"]._latest(self.company)
        self.assertEqual(fit.method, "backtest", fit.message)
        horizon = fit.horizon_days
        values = {
            key: np.array([reference[p][key] for p in ids], dtype=float)
            for key in ("x", "tx", "T", "gap_cv", "recent", "before")
        }
        values.update(
            recency=np.array([reference[p]["days_since_last_order"] for p in ids], dtype=float),
            revenue=np.array([reference[p]["revenue"] for p in ids], dtype=float),
            days=np.array([reference[p]["purchase_days"] for p in ids], dtype=float),
            tickets=np.zeros(len(ids)),
            gestures=np.zeros(len(ids)),
            nps=np.full(len(ids), np.nan),
        )
        model_risk = churn.logistic_predict(
            fit.model, churn.features_from_values(values, params, horizon)
        )
        intervals = churn.usual_interval(params, values["x"], values["tx"])
        company = self.company
        for p, risk, interval in zip(ids, model_risk, intervals, strict=True):
            x, tx, t = reference[p]["x"], reference[p]["tx"], reference[p]["T"]
            odds = (
                math.log(a)
                - math.log(b + x)
                + (r + x) * (math.log(alpha + t) - math.log(alpha + tx))
            )
            alive = 1.0 / (1.0 + math.exp(min(odds, 700)))
            self.assertAlmostEqual(scores[p].p_alive, 100 * alive, delta=0.6)
            self.assertAlmostEqual(scores[p].churn_risk, 100 * risk, delta=1.6)
            if p in recorded:
                continue
            # the status from the (stored, rounded) risk and the silence in usual intervals
            stored, ratio = scores[p].churn_risk, reference[p]["days_since_last_order"] / interval
            if stored >= company.winback_lost_risk and ratio >= company.winback_lost_factor:
                status = "lost"
            elif stored >= company.winback_at_risk_risk and ratio >= company.winback_dormant_factor:
                status = "dormant"
            elif (
                stored >= company.winback_at_risk_risk
                or ratio > company.winback_at_risk_factor
                or reference[p]["revenue_drop"]
            ):
                status = "at_risk"
            else:
                status = "active"
            factors = (
                company.winback_lost_factor,
                company.winback_dormant_factor,
                company.winback_at_risk_factor,
            )
            if min(abs(ratio - f) for f in factors) > 1e-6:  # not on a boundary
                self.assertEqual(scores[p].status, status, f"status of customer {p}")
        self.assertEqual(
            {s.status for s in scores.values()}, {"active", "at_risk", "dormant", "lost"}
        )
        # fixed number of queries, rerun on more customers included
        self._grow()
        more, _done = self._count_queries(lambda: model._compute_company_scores(self.company))
        self.assertEqual(more, queries)
        self.assertEqual(len(self._scores()), len(scores) + MORE)

    def test_metrics_match_a_per_customer_computation(self):
        partners = self.env["res.partner"].browse(self.customers)
        queries, metrics = self._count_queries(partners._care_metrics)
        year_ago = self.today - relativedelta(years=1)
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, date_order, amount_untaxed FROM sale_order "
                "WHERE state = 'sale' AND partner_id = ANY(%s)",
                self.customers,
            )
        )
        raw = defaultdict(list)
        for partner, date_order, amount in self.env.cr.fetchall():
            raw[partner].append((date_order, float(amount)))
        self.assertEqual(len(metrics), CUSTOMERS)
        for partner in self.customers:
            orders, row = raw[partner], metrics[partner]
            self.assertEqual(row["order_count"], len(orders))
            self.assertAlmostEqual(row["revenue"], sum(v for _d, v in orders), delta=0.01)
            self.assertAlmostEqual(
                row["revenue_12m"],
                sum(v for d, v in orders if d.date() >= year_ago),
                delta=0.01,
            )
            last = max(d for d, _v in orders)
            self.assertEqual(row["days_since_last_order"], (self.today - last.date()).days)
            first = relativedelta(self.today, min(d for d, _v in orders).date())
            self.assertEqual(row["seniority_months"], first.years * 12 + first.months)
            self.assertEqual(row["gesture_count_12m"], 0)
        self._grow()
        partners = self.env["res.partner"].browse(datagen.customer_ids(self.env))
        more, metrics = self._count_queries(partners._care_metrics)
        self.assertEqual(len(metrics), CUSTOMERS + MORE)
        self.assertEqual(more, queries)

    def _campaign(self, holdout=10):
        return self.env["winback.campaign"].create(
            {
                "name": "Small benchmark",
                "segment_at_risk": True,
                "segment_dormant": True,
                "segment_lost": True,
                "holdout_percent": holdout,
                "min_orders": 1,
                "gesture_type_id": self.env["loyalty.gesture.type"]
                .create({"name": "Small benchmark coupon", "default_value": 10, "max_value": 50})
                .id,
            }
        )

    def test_targeting_split_matches_a_per_customer_hash(self):
        self.env["winback.customer.score"]._compute_company_scores(self.company)
        campaign = self._campaign()
        queries, _done = self._count_queries(campaign._target)
        members = {m.partner_id.id: m for m in campaign.member_ids}
        expected = {
            s.partner_id.id
            for s in self.env["winback.customer.score"].search(
                [("company_id", "=", self.company.id), ("status", "in", STATUSES)]
            )
            if s.partner_id.active
        }
        self.assertEqual(set(members), expected)
        ours = [p for p in self.customers if p in members]
        self.assertGreater(len(ours), CUSTOMERS // 4)
        holdout = 0
        for partner in ours:
            member = members[partner]
            digest = hashlib.md5(f"{campaign.id}-{partner}".encode()).hexdigest()
            in_holdout = int(digest[:7], 16) % 10000 < 1000
            self.assertEqual(member.is_holdout, in_holdout, f"customer {partner}")
            self.assertEqual(member.state, "holdout" if in_holdout else "targeted")
            holdout += in_holdout
        self.assertAlmostEqual(holdout / len(ours), 0.10, delta=0.03)
        # idempotent, and the same queries for more customers
        campaign._target()
        self.assertEqual(len(campaign.member_ids), len(members))
        self._grow()
        self.env["winback.customer.score"]._compute_company_scores(self.company)
        other = self._campaign()
        more, _done = self._count_queries(other._target)
        self.assertEqual(more, queries)
        self.assertGreater(len(other.member_ids), len(members))

    def test_coupon_issuance_batch(self):
        """The batched gesture pipeline: one done gesture, one coupon and one follow-up per
        member, whatever the batch size, in the same queries (the contact is logged once
        the step's mailing sent the email: winback_campaign_mailing._job_sync_chunk)."""
        self.env["winback.customer.score"]._compute_company_scores(self.company)
        campaign = self._campaign(holdout=0)
        campaign._target()
        members = campaign.member_ids.filtered(lambda m: m.state == "targeted").sorted("id")
        self.assertGreater(len(members), 400)
        small, accepted = self._count_queries(lambda: campaign._grant_offers(members[:100]))
        self.assertEqual(len(accepted), 100)
        large, accepted = self._count_queries(lambda: campaign._grant_offers(members[100:400]))
        self.assertEqual(len(accepted), 300)
        # no query per member: three times the members cost only the ORM's extra INSERTs
        # (it inserts 100 rows at a time: gestures, coupons, activities, logs, surveys)
        self.assertLessEqual(large - small, 20, f"{small} then {large} queries")
        self.assertLess(large, 300)
        members = members[:400]
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id, g.state, g.partner_id = m.partner_id, c.partner_id = m.partner_id,
                       c.points, g.value,
                       (SELECT count(*) FROM care_contact_log l
                         WHERE l.res_model = 'winback.campaign.member' AND l.res_id = m.id
                           AND l.kind = 'winback' AND l.state = 'sent'),
                       (SELECT count(*) FROM mail_activity a
                         WHERE a.res_model = 'loyalty.gesture' AND a.res_id = g.id)
                  FROM winback_campaign_member m
                  JOIN loyalty_gesture g ON g.id = m.gesture_id
                  JOIN loyalty_card c ON c.id = g.coupon_card_id
                 WHERE m.id = ANY(%s)
                """,
                members.ids,
            )
        )
        rows = self.env.cr.fetchall()
        self.assertEqual(len(rows), 400, "one gesture with its coupon per member")
        for _m, state, same_partner, card_partner, points, value, logs, activities in rows:
            self.assertEqual(
                (state, same_partner, card_partner, points, value, logs, activities),
                ("done", True, True, 10, 10, 0, 1),
            )
        gestures = members.gesture_id
        self.assertEqual(len(set(gestures.mapped("name"))), 400, "distinct references")
        # fulfilling again creates nothing (idempotent)
        cards = self.env["loyalty.card"].search_count([])
        gestures.action_done()
        self.assertEqual(self.env["loyalty.card"].search_count([]), cards)

    def test_coupon_issuance_set_based_matches_the_orm(self):
        """The set-based issuance (``_care_issue_batch``) writes, for the campaign's
        members, exactly the rows the ORM path writes: every stored column of every row
        created, in every table (addons/winback/tests/row_snapshot.py)."""
        self.env["winback.customer.score"]._compute_company_scores(self.company)
        campaign = self._campaign(holdout=0)
        campaign._target()
        members = campaign.member_ids.filtered(lambda m: m.state == "targeted").sorted("id")
        self.assertGreater(len(members), 400)
        partners = members.partner_id.browse([m.partner_id.id for m in members])
        issuer = self.env["loyalty.gesture"].with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True
        )

        def issue(method):
            gestures = getattr(issuer, method)(
                partners, campaign.gesture_type_id, 10, "Small benchmark", self.company
            )
            return gestures.mapped("state")

        codes = [
            ("loyalty.gesture", "name"),
            ("loyalty.card", "code"),
            ("mail.activity", "res_name"),
            ("satisfaction.request", "access_token"),
        ]
        orm, orm_states = created_rows(self.env, lambda: issue("_care_issue_orm"), codes)
        batch, batch_states = created_rows(self.env, lambda: issue("_care_issue_batch"), codes)
        self.assertEqual(set(orm_states), {"done"})
        self.assertEqual(batch_states, orm_states)
        self.assertEqual(len(orm["loyalty.card"]), len(members))
        problems = diff(orm, batch)
        self.assertEqual(problems, [], "\n".join(problems))

    def test_nps_aggregation_matches_the_raw_answers(self):
        nps = self.env.ref("satisfaction_survey.survey_nps")
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO satisfaction_request (
                    partner_id, commercial_partner_id, company_id, survey_id, kind, trigger,
                    access_token, scheduled_date, sent_date, answered_date, state, score,
                    nps_category, loop_state, create_date, write_date)
                SELECT so.partner_id, so.partner_id, so.company_id, %s, 'nps', 'invoice',
                       md5(so.id::text), so.date_order, so.date_order,
                       CASE WHEN mod(so.id, 5) < 2 THEN so.date_order + interval '1 day' END,
                       CASE WHEN mod(so.id, 5) < 2 THEN 'answered' ELSE 'sent' END,
                       CASE WHEN mod(so.id, 5) < 2 THEN mod(so.id, 11) END,
                       CASE WHEN mod(so.id, 5) >= 2 THEN NULL WHEN mod(so.id, 11) >= 9 THEN 'promoter'
                            WHEN mod(so.id, 11) >= 7 THEN 'passive' ELSE 'detractor' END,
                       'none', so.date_order, so.date_order
                  FROM sale_order so WHERE so.partner_id = ANY(%s)
                """,
                nps.id,
                self.customers,
            )
        )
        self.env.invalidate_all()
        report = self.env["satisfaction.report"]
        domain = [("kind", "=", "nps"), ("partner_id", "in", self.customers)]
        queries, groups = self._count_queries(
            lambda: report._read_group(
                domain, ["date:month"], ["nps_value:avg", "response_value:avg", "__count"]
            )
        )
        self.env.cr.execute(
            SQL(
                "SELECT sent_date, state, nps_category FROM satisfaction_request "
                "WHERE kind = 'nps' AND commercial_partner_id = ANY(%s)",
                self.customers,
            )
        )
        months = defaultdict(list)
        for sent, state, category in self.env.cr.fetchall():
            months[sent.date().replace(day=1)].append((state, category))
        self.assertEqual(len(groups), len(months))
        value = {"promoter": 100.0, "passive": 0.0, "detractor": -100.0}
        for month, nps_avg, response_avg, count in groups:
            rows = months[month.date() if hasattr(month, "date") else month]
            answered = [value[c] for s, c in rows if s == "answered"]
            self.assertEqual(count, len(rows))
            self.assertAlmostEqual(
                response_avg, 100.0 * len(answered) / len(rows), places=6, msg=str(month)
            )
            if answered:
                self.assertAlmostEqual(nps_avg, sum(answered) / len(answered), places=6)
        self.assertEqual(queries, 1)
