from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import SQL

from . import charter_common


@tagged("post_install", "-at_install")
class TestPortraits(charter_common.CharterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Portrait = cls.env["loyalty.gesture.portrait"]
        cls.big_spender = Portrait.create(
            {
                "name": "Big spender",
                "type_ids": [(6, 0, cls.type_attentive.ids)],
                "weight": 20,
                "criterion_ids": [
                    (0, 0, {"metric": "revenue_12m", "operator": ">=", "value": "1000"}),
                    (0, 0, {"metric": "tier", "operator": "!=", "value": "standard"}),
                ],
            }
        )
        cls.complainer = Portrait.create(
            {
                "name": "Frequent complainer",
                "type_ids": [(6, 0, cls.type_repair.ids)],
                "criterion_ids": [
                    (0, 0, {"metric": "ticket_count_12m", "operator": ">=", "value": "3"})
                ],
            }
        )

    def test_customer_matches_portraits_on_metrics(self):
        self.assertFalse(self.customer.care_portrait_ids)
        self._order(1500)
        self.customer.invalidate_recordset(["care_portrait_ids"])
        self.assertEqual(self.customer.care_portrait_ids, self.big_spender)
        for _i in range(3):
            self._ticket()
        self.customer.invalidate_recordset(["care_portrait_ids"])
        self.assertEqual(self.customer.care_portrait_ids, self.big_spender | self.complainer)

    def test_criteria_come_from_the_metrics_registry(self):
        criterion = self.env["loyalty.gesture.portrait.criterion"]
        keys = [key for key, _label in criterion._selection_metric()]
        self.assertEqual(keys, list(self.env["res.partner"]._care_metric_definitions()))
        with self.assertRaises(ValidationError):
            criterion.create(
                {
                    "portrait_id": self.complainer.id,
                    "metric": "ticket_count_12m",
                    "operator": ">=",
                    "value": "many",
                }
            )
        with self.assertRaises(ValidationError):
            criterion.create(
                {
                    "portrait_id": self.complainer.id,
                    "metric": "gesture_abuse",
                    "operator": ">=",
                    "value": "yes",
                }
            )

    def test_portrait_can_be_a_charter_condition(self):
        rule = self._rule(portrait_ids=[(6, 0, self.big_spender.ids)], max_value=15)
        self.assertFalse(self._evaluate(10)["rule"])
        self._order(1500)
        self.assertEqual(self._evaluate(10)["rule"], rule)


@tagged("post_install", "-at_install")
class TestRecommendation(charter_common.CharterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.types = cls.type_financial | cls.type_repair | cls.type_attentive
        cls.loyal = cls.env["loyalty.gesture.portrait"].create(
            {
                "name": "Loyal customer",
                "type_ids": [(6, 0, cls.type_attentive.ids)],
                "weight": 20,
                "criterion_ids": [
                    (0, 0, {"metric": "order_count", "operator": ">=", "value": "1"})
                ],
            }
        )
        cls._order(cls, 300)

    def _recommend(self, ticket=None):
        return self.env["loyalty.gesture.portrait"]._recommend(
            self.customer, ticket=ticket, gesture_types=self.types
        )

    def test_ranking_puts_the_portrait_first_with_reasons(self):
        self._rule(allowed_type_ids=[(6, 0, (self.type_repair | self.type_attentive).ids)])
        ranked = self.env["loyalty.gesture.portrait"]._rank_gesture_types(self.customer)
        ranked = [r for r in ranked if r[0] in self.types]
        self.assertEqual([r[0] for r in ranked], [self.type_attentive, self.type_repair])
        _gesture_type, score, reasons = ranked[0]
        self.assertEqual(score, 25)
        self.assertIn('Suits the portrait "Loyal customer".', reasons)
        self.assertIn('Charter rule "Test rule" applies (every case).', reasons)
        blocked = [r for r in self._recommend() if not r["allowed"]]
        self.assertEqual([r["type"] for r in blocked], [self.type_financial])
        self.assertIn("does not allow", blocked[0]["reasons"][1])

    def test_high_priority_ticket_favours_repair(self):
        ticket = self._ticket(priority="3")
        ranked = self._recommend(ticket)
        self.assertEqual(
            [r["score"] for r in ranked], [25, 25, 20], "repair/financial: 25, attentive: 20"
        )
        self.assertEqual(ranked[2]["type"], self.type_attentive)
        self.assertIn(
            "A high-priority ticket calls for repair or compensation.", ranked[0]["reasons"]
        )
        low = self._recommend(self._ticket(priority="0"))
        self.assertEqual(low[0]["type"], self.type_attentive)
        self.assertIn("A minor issue calls for an attentive gesture.", low[0]["reasons"])

    def test_prefilled_value_is_capped_by_the_charter(self):
        self._rule(max_value=25)
        by_type = {r["type"]: r for r in self._recommend()}
        self.assertEqual(by_type[self.type_repair]["value"], 25)
        self.assertTrue(by_type[self.type_repair]["allowed"])
        self.assertEqual(by_type[self.type_financial]["value"], 25)

    def _grow_history(self, table, record, copies):
        """Duplicate a row ``copies`` times in SQL: a long history, quickly."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = %s AND column_name != 'id'",
                table,
            )
        )
        columns = SQL(", ").join(SQL.identifier(name) for [name] in self.env.cr.fetchall())
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (%s) SELECT %s FROM %s, generate_series(1, %s) WHERE id = %s",
                SQL.identifier(table),
                columns,
                columns,
                SQL.identifier(table),
                copies,
                record.id,
            )
        )

    def test_recommendation_queries_do_not_grow_with_history(self):
        self._rule(cap_count=5000, cap_value=1000000)
        ticket = self._ticket(priority="2")
        order = self._order(100)
        gesture = self._past_gesture(days_ago=3)
        self._grow_history("sale_order", order, 9)
        self._grow_history("loyalty_gesture", gesture, 9)
        self._recommend(ticket)  # warm up
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        small = self._recommend(ticket)
        queries = self.env.cr.sql_log_count - before
        self._grow_history("sale_order", order, 990)
        self._grow_history("loyalty_gesture", gesture, 990)
        self.env.invalidate_all()
        with self.assertQueryCount(queries):
            big = self._recommend(ticket)
        self.assertEqual(
            big[0]["evaluation"]["metrics"]["gesture_count_12m"],
            small[0]["evaluation"]["metrics"]["gesture_count_12m"] + 990,
        )

    def test_grant_wizard_offers_the_ranking_and_caps_the_value(self):
        self._rule(
            allowed_type_ids=[(6, 0, (self.type_repair | self.type_attentive).ids)],
            max_value=25,
        )
        ticket = self._ticket(priority="1")
        wizard = (
            self.env["loyalty.gesture.grant.wizard"]
            .with_user(self.agent)
            .create({"ticket_id": ticket.id})
        )
        offered = wizard.suggested_type_ids & self.types
        self.assertEqual(offered, self.type_attentive | self.type_repair)
        self.assertEqual(wizard.type_id, self.type_attentive, "the portrait's gesture first")
        wizard.type_id = self.type_repair
        self.assertEqual(wizard.value, 25, "30 by default, capped by the charter")
        html = str(wizard.recommendation_html)
        self.assertIn("Loyal customer", html)
        self.assertIn("Not allowed here:", html)
        self.assertIn("does not allow &#34;Goodwill credit&#34;", html)
