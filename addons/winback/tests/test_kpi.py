import random
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo.addons.winback.models.care_kpi_report import RETENTION_MONTHS
from odoo.addons.winback.models.care_kpi_report_figures import MASK_SPAN, confirmed_orders
from odoo.tests import tagged
from odoo.tools import SQL

from . import common

MARCH = date(2025, 3, 1)


def reference_orders(env, args):
    """The retention and repurchase figures as ``_query_orders`` computed them before its
    bit masks (issue #21): each month joined to every order of its 24-month window, then
    grouped by month and customer. Slow at scale, plain to read: the reference."""
    return env.execute_query(
        SQL(
            """
            WITH months AS (
                SELECT m::date AS m,
                       (m + INTERVAL '1 month')::timestamp AS w_end,
                       (m + INTERVAL '1 month' - %(window)s::interval)::timestamp AS w_start,
                       (m + INTERVAL '1 month' - 2 * %(window)s::interval)::timestamp AS p_start
                  FROM unnest(%(months)s::date[]) AS m
            ), orders AS (%(orders)s), per_customer AS (
                SELECT months.m, o.company_id, o.customer,
                       bool_or(o.date_order < months.w_start) AS before,
                       COUNT(*) FILTER (WHERE o.date_order >= months.w_start) AS orders
                  FROM months
                  JOIN orders o ON o.date_order >= months.p_start
                               AND o.date_order < months.w_end
                 GROUP BY months.m, o.company_id, o.customer
            )
            SELECT company_id, m,
                   COUNT(*) FILTER (WHERE before),
                   COUNT(*) FILTER (WHERE before AND orders > 0),
                   COUNT(*) FILTER (WHERE orders > 0),
                   COUNT(*) FILTER (WHERE orders > 1)
              FROM per_customer
             GROUP BY company_id, m
            """,
            window=f"{RETENTION_MONTHS} months",
            orders=confirmed_orders(
                args["companies"],
                args["start"] - relativedelta(months=2 * RETENTION_MONTHS),
                args["end"],
            ),
            **args,
        )
    )


def at(year, month, day, hour=10):
    return datetime(year, month, day, hour)


@tagged("post_install", "-at_install")
class TestKpi(common.WinbackCase):
    """Each KPI on a constructed data set with a known answer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.report = cls.env["care.kpi.report"]
        cls.csat = cls.env.ref("satisfaction_survey.survey_csat")
        cls.nps = cls.env.ref("satisfaction_survey.survey_nps")
        cls.letter_type = cls.env["loyalty.gesture.type"].create(
            {"name": "KPI apology letter", "category": "attentive", "fulfilment": "letter"}
        )
        cls.program = cls.env["loyalty.program"].create(
            {
                "name": "KPI coupons",
                "program_type": "coupons",
                "company_id": cls.company.id,
            }
        )

    # --- helpers ---

    def _figures(self, company=None, month=MARCH):
        self.report._refresh(company or self.company, [month])
        rows = self.report.search(
            [("company_id", "=", (company or self.company).id), ("period", "=", month)]
        )
        return {row.kpi: row for row in rows}

    def _customers(self, count, prefix="KPI customer"):
        return self.env["res.partner"].create(
            [
                {"name": f"{prefix} {n}", "email": f"kpi.{prefix[:3]}.{n}@example.com"}
                for n in range(count)
            ]
        )

    def _request(self, partner, survey, state="answered", score=None, sent=None, **vals):
        values = {
            "partner_id": partner.id,
            "survey_id": survey.id,
            "company_id": self.company.id,
            "state": state,
            "sent_date": sent or at(2025, 3, 2),
        }
        if state == "answered":
            values.update(score=score, answered_date=at(2025, 3, 5))
        values.update(vals)
        return self.env["satisfaction.request"].create(values)

    def _gesture(self, partner, gesture_type, moment, cost, coupon=False):
        gesture = self.env["loyalty.gesture"].create(
            {
                "partner_id": partner.id,
                "type_id": gesture_type.id,
                "company_id": self.company.id,
                "value": 0,
                "cost": cost,
                "state": "done",
                "done_date": moment,
            }
        )
        if coupon:
            card = self.env["loyalty.card"].create(
                {"program_id": self.program.id, "partner_id": partner.id, "points": 10}
            )
            gesture.coupon_card_id = card
        return gesture

    # --- satisfaction ---

    def test_satisfaction_kpis(self):
        people = self._customers(16)
        # CSAT 5, 4, 4, 2, 3 -> 3 satisfied of 5 = 60 %
        for partner, score in zip(people[:5], (5, 4, 4, 2, 3), strict=True):
            self._request(partner, self.csat, score=score)
        # NPS 10, 9, 9, 8, 7, 3, 0 -> (3 promoters - 2 detractors) / 7 answers
        for partner, score in zip(people[5:12], (10, 9, 9, 8, 7, 3, 0), strict=True):
            self._request(partner, self.nps, score=score)
        # 12 answered + 3 unanswered + 1 expired sent in March -> 75 % response
        for partner in people[12:15]:
            self._request(partner, self.nps, state="sent")
        self._request(people[15], self.nps, state="expired")
        # answered in March but sent in February: counts for February's response rate
        self._request(people[0], self.nps, score=10, sent=at(2025, 2, 27))
        # 4 follow-ups opened in March, 3 closed -> 75 %
        unhappy = self.env["satisfaction.request"].search(
            [("partner_id", "in", people.ids), ("state", "=", "answered"), ("score", "<=", 3)]
        )
        self.assertEqual(len(unhappy), 4)
        for n, request in enumerate(unhappy):
            request.write(
                {
                    "loop_state": "closed" if n else "open",
                    "loop_opened_date": at(2025, 3, 6),
                    "loop_closed_date": at(2025, 3, 8) if n else False,
                }
            )
        figures = self._figures()
        self.assertAlmostEqual(figures["csat"].actual, 60.0)
        # plus the February-sent 10: (4 promoters - 2 detractors) / 8 answers
        self.assertEqual((figures["nps"].numerator, figures["nps"].denominator), (2, 8))
        self.assertAlmostEqual(figures["nps"].actual, 25.0)
        self.assertAlmostEqual(figures["response_rate"].actual, 75.0)
        self.assertAlmostEqual(figures["close_loop_rate"].actual, 75.0)
        february = self._figures(month=date(2025, 2, 1))
        self.assertAlmostEqual(february["response_rate"].actual, 100.0)
        self.assertFalse(february["csat"].measured)
        self.assertEqual(february["csat"].status, "no_data")

    # --- orders ---

    def test_retention_and_repurchase(self):
        """10 customers, 8 active last year, 6 reorder -> retention 75 %."""
        people = self._customers(10)
        for partner in people[:8]:  # active in the 12 months before the window
            self._order_on(partner, at(2023, 9, 15))
        for partner in people[:6]:  # 6 of them order again within the window
            self._order_on(partner, at(2024, 6, 15))
        for partner in people[8:]:  # 2 new customers
            self._order_on(partner, at(2025, 3, 20))
        for partner in people[:3]:  # 3 customers with two orders in the window
            self._order_on(partner, at(2025, 1, 10))
        # outside both windows, or not confirmed: ignored
        self._order_on(people[6], at(2025, 4, 2))
        self._order_on(people[7], at(2023, 3, 31))
        self._order_on(people[9], at(2024, 12, 1)).state = "cancel"
        # a contact of a customer counts for the customer
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": people[8].id})
        self._order_on(contact, at(2024, 10, 1))
        figures = self._figures()
        retention = figures["retention_rate"]
        self.assertEqual((retention.numerator, retention.denominator), (6, 8))
        self.assertAlmostEqual(retention.actual, 75.0)
        repurchase = figures["repurchase_rate"]
        # active in the window: 6 + 2; with 2 orders: 3 + people[8] (through the contact)
        self.assertEqual((repurchase.numerator, repurchase.denominator), (4, 8))
        self.assertAlmostEqual(repurchase.actual, 50.0)

    def test_retention_and_repurchase_match_reference(self):
        """The bit-mask query gives the reference query's rows for any set of months: a
        generated history of two companies with orders on the first and last instant of
        months, several in a month, cancelled ones, orders through a contact, and months
        sets from one month to more than one group of masks."""
        rng = random.Random(21)
        people = self._customers(60, prefix="Mask customer")
        contacts = self.env["res.partner"].create(
            [{"name": f"Mask buyer {n}", "parent_id": people[n].id} for n in range(0, 60, 7)]
        )
        buyers = people | contacts
        first, last = date(2021, 1, 1), date(2026, 12, 1)
        span = (last.year - first.year) * 12 + last.month - first.month
        values = []
        for partner in buyers:
            for _order in range(rng.randint(0, 9)):
                month = first + relativedelta(months=rng.randint(0, span))
                end = month + relativedelta(months=1)
                moment = rng.choice(
                    [
                        datetime.combine(month, datetime.min.time()),  # first instant
                        datetime.combine(end, datetime.min.time()) - timedelta(seconds=1),
                        datetime.combine(month, datetime.min.time())
                        + timedelta(minutes=rng.randint(0, 27 * 24 * 60)),
                    ]
                )
                for _again in range(rng.choice([1, 1, 1, 2, 3])):  # several in a month
                    values.append(
                        {
                            "partner_id": partner.id,
                            "company_id": rng.choice([self.company, self.company_b]).id,
                            "state": rng.choice(["sale"] * 5 + ["cancel", "draft"]),
                            "date_order": moment,
                        }
                    )
        self.env["sale.order"].create(values)
        companies = self.company | self.company_b
        all_months = [first + relativedelta(months=n) for n in range(span + 1)]
        cases = [
            all_months,  # several groups of masks
            all_months[-12:],  # a refresh of the last 12 months
            all_months[30:31],
            all_months[:3] + all_months[40:42] + all_months[-1:],  # incremental, scattered
            all_months[5 : 5 + MASK_SPAN + 1],  # one group at its widest, then one month
            [date(2019, 6, 1), date(2030, 1, 1)],  # no order in any window
            [date(2019, 1, 1), date(2021, 6, 1)],  # one group, no order in the first's windows
        ]
        report = self.report.with_company(self.company)
        for months in cases:
            args = {
                "companies": tuple(companies.ids),
                "start": min(months),
                "end": max(months) + relativedelta(months=1),
                "months": months,
            }
            expected = sorted(reference_orders(self.env, args))
            with self.subTest(months=f"{months[0]}..{months[-1]} ({len(months)})"):
                self.assertEqual(sorted(report._query_orders(args)), expected)
        # the history is not trivial: both companies, every figure non-zero somewhere
        rows = reference_orders(
            self.env,
            {
                "companies": tuple(companies.ids),
                "start": first,
                "end": last + relativedelta(months=1),
                "months": all_months,
            },
        )
        self.assertEqual({row[0] for row in rows}, set(companies.ids))
        for column in range(2, 6):
            self.assertTrue(any(row[column] for row in rows))
        self.assertTrue(any(row[2] != row[3] for row in rows))
        self.assertTrue(any(row[4] != row[5] for row in rows))

    # --- gestures ---

    def test_gesture_kpis_and_effect_by_type(self):
        anna, bert, carl = self._customers(3, "Gesture customer")
        self._gesture(anna, self.letter_type, at(2025, 3, 5), 10)
        self._gesture(anna, self.letter_type, at(2025, 3, 20), 20)
        redeemed = self._gesture(bert, self.gesture_type, at(2025, 3, 10), 30, coupon=True)
        self._gesture(carl, self.gesture_type, at(2025, 3, 12), 40, coupon=True)
        # not fulfilled or in another month: ignored
        self.env["loyalty.gesture"].create(
            {"partner_id": carl.id, "type_id": self.letter_type.id, "cost": 99}
        )
        self._gesture(carl, self.letter_type, at(2025, 4, 2), 50)
        self._order_on(anna, at(2025, 3, 10), 150)
        self._order_on(anna, at(2025, 6, 10), 50)  # 97 days after her first gesture
        order = self._order_on(bert, at(2025, 4, 1), 60)
        order.order_line.coupon_id = redeemed.coupon_card_id
        # comparable customers: ordered in the 12 months before March, no gesture in March
        others = self._customers(4, "Comparable")
        for partner in others:
            self._order_on(partner, at(2024, 6, 1))
        self._order_on(others[0], at(2025, 4, 15))  # back within 90 days of March 1st
        self._order_on(others[1], at(2025, 6, 2))  # too late
        figures = self._figures()
        # recipients back within 90 days: anna, bert of 3 (66.7 %) against 1 of 4 (25 %)
        lift = figures["gesture_lift"]
        self.assertAlmostEqual(lift.numerator, 200 / 3)
        self.assertAlmostEqual(lift.denominator, 25.0)
        self.assertAlmostEqual(lift.actual, 200 / 3 - 25)
        self.assertAlmostEqual(figures["gesture_cost"].actual, 100.0)
        self.assertEqual(figures["gesture_cost"].denominator, 4)
        # recipients' revenue within 90 days of their first gesture: 150 + 60
        self.assertEqual(figures["gesture_roi"].numerator, 210 - 100)
        self.assertAlmostEqual(figures["gesture_roi"].actual, 110.0)
        self.assertAlmostEqual(figures["redemption_rate"].actual, 50.0)
        # per gesture type: each gesture followed for its own 90 days
        effect = self.env["care.gesture.effect.report"]
        groups = {
            gesture_type: values
            for gesture_type, *values in effect._read_group(
                [("company_id", "=", self.company.id), ("date", "<", at(2025, 4, 1))],
                ["type_id"],
                [
                    "__count",
                    "cost:sum",
                    "revenue:sum",
                    "redemption_rate:sum",
                    "return_rate:sum",
                    "roi:sum",
                ],
            )
        }
        count, cost, revenue, redemption, back, roi = groups[self.letter_type]
        self.assertEqual((count, cost, revenue), (2, 30, 200))  # 150 + 50 (second letter)
        self.assertAlmostEqual(back, 100.0)
        self.assertAlmostEqual(roi, 100.0 * (200 - 30) / 30)
        self.assertFalse(redemption)  # no coupon: no rate
        count, cost, revenue, redemption, back, roi = groups[self.gesture_type]
        self.assertEqual((count, cost, revenue), (2, 70, 60))
        self.assertAlmostEqual(redemption, 50.0)
        self.assertAlmostEqual(back, 50.0)
        self.assertAlmostEqual(roi, 100.0 * (60 - 70) / 70)

    # --- campaigns ---

    def test_campaign_lift_and_roi(self):
        people = self._customers(16, "Member")
        campaign = self.env["winback.campaign"].create(
            {"name": "KPI spring", "company_id": self.company.id, "contact_cost": 2}
        )
        campaign.write({"state": "done", "date_start": at(2025, 3, 3)})
        members = []
        for n, partner in enumerate(people):
            values = {
                "campaign_id": campaign.id,
                "company_id": self.company.id,
                "partner_id": partner.id,
            }
            if n < 10:  # 10 contacted members, 4 reactivated with 100 each
                values.update(
                    state="reactivated" if n < 4 else "contacted",
                    contacted=True,
                    reactivated=n < 4,
                    revenue=100 if n < 4 else 0,
                    offer_cost=10,
                )
            elif n < 15:  # holdout of 5, 1 reactivated
                values.update(state="holdout", is_holdout=True, reactivated=n == 10)
            else:
                values.update(state="excluded", exclude_reason="budget")
            members.append(values)
        self.env["winback.campaign.member"].create(members)
        figures = self._figures()
        lift = figures["winback_lift"]
        self.assertEqual((lift.numerator, lift.denominator), (40.0, 20.0))
        self.assertAlmostEqual(lift.actual, 20.0)
        self.assertAlmostEqual(lift.actual, campaign.lift)
        # cost: 10 offers of 10 + 10 contacts of 2 = 120; revenue 400
        roi = figures["campaign_roi"]
        self.assertEqual((roi.numerator, roi.denominator), (280, 120))
        self.assertAlmostEqual(roi.actual, 100.0 * 280 / 120)
        self.assertAlmostEqual(roi.actual, campaign.roi)
