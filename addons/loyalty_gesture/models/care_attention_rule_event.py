from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import fields, models
from odoo.tools import SQL

from .care_attention_rule import ORDER_EVENTS
from .care_constants import TIER_RANK

# Days before the birthday a newly set or changed birthdate must be known.
BIRTHDATE_NOTICE_DAYS = 30


class CareAttentionRule(models.Model):
    """Which customers an attention rule reaches now: its event, its filters, its pacing,
    in one query per rule and batch."""

    _inherit = "care.attention.rule"  # pylint: disable=consider-merging-classes-inherited

    # --- Candidates ---

    def _window(self, today=None):
        """First and last day an event may have happened for its attention to be due now."""
        self.ensure_one()
        today = today or fields.Date.context_today(self)
        stop = today - timedelta(days=self.delay_days)
        return stop - timedelta(days=self.grace_days), stop

    def _utc_bounds(self, start, stop):
        """The window's local days as UTC datetimes: orders are stored in UTC."""
        tz = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")

        def utc(day):
            return (
                tz.localize(datetime.combine(day, time.min))
                .astimezone(pytz.utc)
                .replace(tzinfo=None)
            )

        return utc(start), utc(stop + timedelta(days=1))

    def _anniversary_days(self, start, stop):
        """``[(MM-DD, day)]`` of each day of the window; Feb 29 falls on Feb 28 otherwise."""
        days = []
        day = start
        while day <= stop:
            days.append((day.strftime("%m-%d"), day))
            leap = day.year % 4 == 0 and (day.year % 100 != 0 or day.year % 400 == 0)
            if day.month == 2 and day.day == 28 and not leap:
                days.append(("02-29", day))
            day += timedelta(days=1)
        return SQL(", ").join(SQL("(%s, %s::date)", mmdd, when) for mmdd, when in days)

    def _tier_threshold(self, tier):
        company = self.company_id
        return {
            "silver": company.care_tier_silver_revenue,
            "gold": company.care_tier_gold_revenue,
            "vip": company.care_tier_vip_revenue,
        }.get(tier, 0.0)

    def _customer_of_company(self, alias):
        """SQL: the commercial partner ``alias`` has a confirmed order in the rule's company."""
        return SQL(
            """EXISTS (SELECT 1 FROM sale_order cso JOIN res_partner csp ON csp.id = cso.partner_id
                        WHERE csp.commercial_partner_id = %s AND cso.state = 'sale'
                          AND cso.company_id = %s)""",
            SQL.identifier(alias, "commercial_partner_id"),
            self.company_id.id,
        )

    def _event_sql(self, start, stop):
        """SQL of the events due: rows (partner_id, occurrence, order_id)."""
        self.ensure_one()
        company = self.company_id.id
        begin, end = self._utc_bounds(start, stop)
        if self.event in ORDER_EVENTS:
            later = SQL()
            if self.event == "order_followup":
                later = SQL(
                    """AND NOT EXISTS (
                        SELECT 1 FROM sale_order lso
                          JOIN res_partner lp ON lp.id = lso.partner_id
                          JOIN res_partner op ON op.id = so.partner_id
                         WHERE lp.commercial_partner_id = op.commercial_partner_id
                           AND lso.state = 'sale' AND lso.company_id = so.company_id
                           AND lso.date_order > so.date_order)"""
                )
            return SQL(
                """SELECT so.partner_id, 'order:' || so.id AS occurrence, so.id AS order_id
                     FROM sale_order so
                    WHERE so.state = 'sale' AND so.company_id = %(company)s
                      AND so.date_order >= %(begin)s AND so.date_order < %(end)s
                      AND so.amount_untaxed >= %(amount)s %(later)s""",
                company=company,
                begin=begin,
                end=end,
                amount=self.min_order_amount or 0.0,
                later=later,
            )
        if self.event == "birthday":
            return SQL(
                """SELECT bp.id, 'birthday:' || EXTRACT(YEAR FROM d.day)::int, NULL::int
                     FROM res_partner bp
                     JOIN (VALUES %(days)s) AS d(mmdd, day)
                       ON to_char(bp.birthdate_date, 'MM-DD') = d.mmdd
                    WHERE bp.birthdate_date IS NOT NULL AND bp.birthdate_date < d.day
                      AND (bp.care_birthdate_changed_on IS NULL
                           OR bp.care_birthdate_changed_on <= d.day - %(notice)s)
                      AND %(customer)s""",
                days=self._anniversary_days(start, stop),
                notice=BIRTHDATE_NOTICE_DAYS,
                customer=self._customer_of_company("bp"),
            )
        if self.event == "purchase_anniversary":
            return SQL(
                """SELECT f.partner_id, 'anniversary:' || EXTRACT(YEAR FROM d.day)::int, NULL::int
                     FROM (SELECT fp.commercial_partner_id AS partner_id,
                                  MIN(fso.date_order)::date AS first_date
                             FROM sale_order fso JOIN res_partner fp ON fp.id = fso.partner_id
                            WHERE fso.state = 'sale' AND fso.company_id = %(company)s
                         GROUP BY fp.commercial_partner_id) f
                     JOIN (VALUES %(days)s) AS d(mmdd, day)
                       ON to_char(f.first_date, 'MM-DD') = d.mmdd
                    WHERE EXTRACT(YEAR FROM f.first_date) < EXTRACT(YEAR FROM d.day)""",
                company=company,
                days=self._anniversary_days(start, stop),
            )
        if self.event == "tier_reached":
            threshold = self._tier_threshold(self.tier)
            return SQL(
                """SELECT tp.commercial_partner_id, 'tier:' || %(tier)s, NULL::int
                     FROM sale_order tso JOIN res_partner tp ON tp.id = tso.partner_id
                    WHERE tso.state = 'sale' AND tso.company_id = %(company)s
                      AND tso.date_order >= %(year_ago)s AND tso.date_order < %(end)s
                      AND %(threshold)s > 0
                 GROUP BY tp.commercial_partner_id
                   HAVING SUM(tso.amount_untaxed) >= %(threshold)s
                      AND COALESCE(SUM(tso.amount_untaxed)
                                   FILTER (WHERE tso.date_order < %(begin)s), 0) < %(threshold)s""",
                tier=self.tier,
                company=company,
                year_ago=end - relativedelta(years=1),
                begin=begin,
                end=end,
                threshold=threshold,
            )
        # referral: the referrer, once the referred customer's first order is confirmed
        return SQL(
            """SELECT c.care_referred_by_id, 'referral:' || c.id, NULL::int
                 FROM (SELECT rp.commercial_partner_id AS referred_id,
                              MIN(rso.date_order) AS first_date
                         FROM sale_order rso JOIN res_partner rp ON rp.id = rso.partner_id
                        WHERE rso.state = 'sale' AND rso.company_id = %(company)s
                          AND rp.commercial_partner_id IN (
                              SELECT id FROM res_partner WHERE care_referred_by_id IS NOT NULL)
                     GROUP BY rp.commercial_partner_id) f
                 JOIN res_partner c ON c.id = f.referred_id
                 JOIN res_partner r ON r.id = c.care_referred_by_id
                WHERE f.first_date >= %(begin)s AND f.first_date < %(end)s
                  AND r.commercial_partner_id != c.commercial_partner_id""",
            company=company,
            begin=begin,
            end=end,
        )

    def _eligibility_sql(self):
        """SQL conditions on the target partner ``p``: company, filter, minimum tier, pacing."""
        self.ensure_one()
        conditions = [
            SQL("p.active"),
            SQL("(p.company_id IS NULL OR p.company_id = %s)", self.company_id.id),
            self._partner_filter_sql(SQL.identifier("p", "id")),
        ]
        if self.tier and self.event != "tier_reached" and TIER_RANK[self.tier]:
            conditions.append(
                SQL(
                    """p.commercial_partner_id IN (
                        SELECT ep.commercial_partner_id
                          FROM sale_order eso JOIN res_partner ep ON ep.id = eso.partner_id
                         WHERE eso.state = 'sale' AND eso.company_id = %s
                           AND eso.date_order >= %s
                      GROUP BY ep.commercial_partner_id
                        HAVING SUM(eso.amount_untaxed) >= %s)""",
                    self.company_id.id,
                    fields.Datetime.now() - relativedelta(years=1),
                    self._tier_threshold(self.tier),
                )
            )
        if self.min_days_between:
            conditions.append(
                SQL(
                    """NOT EXISTS (SELECT 1 FROM care_attention pa
                                    WHERE pa.rule_id = %s AND pa.partner_id = p.id
                                      AND pa.state = 'done' AND pa.date >= %s)""",
                    self.id,
                    fields.Datetime.now() - timedelta(days=self.min_days_between),
                )
            )
        return SQL(" AND ").join(conditions)

    def _find_candidates(self, limit=200, today=None):
        """Due attentions of this rule not fired yet: ``[(partner_id, occurrence, order_id)]``.

        One query whatever the number of customers; at most one occurrence per customer
        and query (the next query takes the next one, unless the rule's minimum days
        between two attentions holds it back).
        """
        self.ensure_one()
        self.env["sale.order"].flush_model(
            ["partner_id", "state", "amount_untaxed", "date_order", "company_id"]
        )
        self.env["res.partner"].flush_model(
            [
                "commercial_partner_id",
                "active",
                "company_id",
                "birthdate_date",
                "care_birthdate_changed_on",
                "care_referred_by_id",
            ]
        )
        self.env["care.attention"].flush_model()
        start, stop = self._window(today)
        return self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT ON (c.partner_id) c.partner_id, c.occurrence, c.order_id
                  FROM (%(events)s) AS c(partner_id, occurrence, order_id)
                  JOIN res_partner p ON p.id = c.partner_id
                 WHERE %(eligible)s
                   AND NOT EXISTS (SELECT 1 FROM care_attention a
                                    WHERE a.rule_id = %(rule)s AND a.partner_id = c.partner_id
                                      AND a.occurrence = c.occurrence)
              ORDER BY c.partner_id, c.occurrence
                 LIMIT %(limit)s
                """,
                events=self._event_sql(start, stop),
                eligible=self._eligibility_sql(),
                rule=self.id,
                limit=limit,
            )
        )
