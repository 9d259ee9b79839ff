from odoo.exceptions import ValidationError
from odoo.tests import tagged

from . import charter_common


@tagged("post_install", "-at_install")
class TestCareMetrics(charter_common.CharterCase):
    def test_registry_lists_the_charter_metrics(self):
        definitions = self.env["res.partner"]._care_metric_definitions()
        for key in ("tier", "ticket_count_12m", "days_since_last_gesture", "gesture_abuse"):
            self.assertIn(key, definitions)
        metrics = self.customer._care_metrics()[self.customer.id]
        self.assertEqual(metrics["tier"], "standard")
        self.assertIsNone(metrics["days_since_last_gesture"])

    def test_tier_from_12_month_revenue_and_company_thresholds(self):
        self.assertEqual(self.customer.care_tier, "standard")
        self._order(6000, days_ago=30)
        self._order(50000, days_ago=500)  # lifetime, not 12 months
        self.customer.invalidate_recordset(["care_tier"])
        self.assertEqual(self.customer.care_tier, "gold")
        self.company.care_tier_gold_revenue = 7000
        self.customer.invalidate_recordset(["care_tier"])
        self.assertEqual(self.customer.care_tier, "silver")
        contact = self.env["res.partner"].create(
            {"name": "Claire's assistant", "parent_id": self.customer.id}
        )
        self.assertEqual(contact.care_tier, "silver", "a contact shares its company's tier")

    def test_agent_sees_the_care_profile_on_the_customer(self):
        self._order(1500)
        arch = (
            self.env["res.partner"]
            .with_user(self.agent)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        for field in ("care_tier", "care_portrait_ids", "care_abuse_flag"):
            self.assertIn(f'name="{field}"', arch)
        customer = self.customer.with_user(self.agent)
        self.assertRecordValues(customer, [{"care_tier": "silver", "care_abuse_flag": False}])
        plain_arch = (
            self.env["res.partner"]
            .with_user(self.internal_user)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )
        self.assertNotIn('name="care_tier"', plain_arch, "care figures are for care users")

    def test_customers_are_searched_by_tier(self):
        silver = self.env["res.partner"].create({"name": "Silver Customer"})
        gold = self.env["res.partner"].create({"name": "Gold Customer"})
        self._order(1500, partner=silver)
        self._order(6000, partner=gold)
        contact = self.env["res.partner"].create({"name": "Gold's buyer", "parent_id": gold.id})
        Partner = self.env["res.partner"].with_user(self.agent)
        scope = [("id", "in", (self.customer | silver | gold | contact).ids)]
        self.assertEqual(Partner.search([*scope, ("care_tier", "=", "gold")]), gold | contact)
        self.assertEqual(
            Partner.search([*scope, ("care_tier", "in", ["silver", "gold"])]),
            silver | gold | contact,
        )
        self.assertEqual(Partner.search([*scope, ("care_tier", "=", "standard")]), self.customer)
        self.assertEqual(
            Partner.search([*scope, ("care_tier", "!=", "standard")]), silver | gold | contact
        )
        self.assertFalse(Partner.search([*scope, ("care_tier", "=", "vip")]))

    def test_tier_thresholds_must_increase(self):
        with self.assertRaises(ValidationError):
            self.company.write({"care_tier_silver_revenue": 9000})
        with self.assertRaises(ValidationError):
            self.company.write({"care_abuse_factor": 0.5})

    def test_tickets_and_last_gesture(self):
        self._ticket()
        self._ticket()
        self._past_gesture(days_ago=12)
        self._past_gesture(days_ago=40)
        metrics = self.customer._care_metrics()[self.customer.id]
        self.assertEqual(metrics["ticket_count_12m"], 2)
        self.assertEqual(metrics["days_since_last_gesture"], 12)
        self.assertEqual(metrics["gesture_count_12m"], 2)
        excluded = self._past_gesture(days_ago=1)
        metrics = self.customer.with_context(care_exclude_gesture_ids=excluded.ids)._care_metrics()[
            self.customer.id
        ]
        self.assertEqual(metrics["gesture_count_12m"], 2, "the evaluated gesture is left out")
        self.assertEqual(metrics["days_since_last_gesture"], 12)

    def test_metrics_queries_do_not_grow_with_partners(self):
        partners = self.env["res.partner"].create([{"name": f"Customer {i}"} for i in range(20)])
        for partner in partners[:3]:
            self._order(100, partner=partner)
            self._past_gesture(partner=partner)
        self.env.invalidate_all()
        queries_before = self.env.cr.sql_log_count
        partners[:1]._care_metrics()
        one = self.env.cr.sql_log_count - queries_before
        self.env.invalidate_all()
        with self.assertQueryCount(one):
            metrics = partners._care_metrics()
        self.assertEqual(len(metrics), 20)
        self.assertEqual(metrics[partners[0].id]["order_count"], 1)


@tagged("post_install", "-at_install")
class TestAbuseGuard(charter_common.CharterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peers = cls.env["res.partner"].create([{"name": f"Peer {i}"} for i in range(8)])

    def _history(self, partner, count):
        for day in range(count):
            self._past_gesture(days_ago=day + 1, partner=partner, value=20)

    def test_customer_far_above_peers_is_flagged_and_needs_approval(self):
        for peer in self.peers:
            self._history(peer, 1)
        self._history(self.customer, 7)
        self.assertTrue(self.customer.care_abuse_flag)
        self.assertFalse(self.peers[0].care_abuse_flag)
        result = self._evaluate(5)
        self.assertTrue(result["allowed"])
        self.assertTrue(result["needs_approval"])
        self.assertIn(
            "Approval needed: 7 gestures in the last 12 months, far more than other customers",
            result["approval_reasons"][0],
        )
        gesture = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create({"partner_id": self.customer.id, "type_id": self.type_financial.id, "value": 5})
        )
        gesture.action_submit()
        self.assertEqual(gesture.state, "to_approve", "even under the agent limit")
        self.assertFalse(self._evaluate(5, partner=self.peers[0])["needs_approval"])

    def test_contacts_count_for_their_company_and_abusers_are_searchable(self):
        for peer in self.peers:
            self._history(peer, 1)
        contact = self.env["res.partner"].create(
            {"name": "Claire's colleague", "parent_id": self.customer.id}
        )
        self._history(contact, 7)
        self.assertEqual(self.customer._care_metrics()[self.customer.id]["gesture_count_12m"], 7)
        self.assertTrue(self.customer.care_abuse_flag)
        Partner = self.env["res.partner"].with_user(self.manager)
        scope = [("id", "in", (self.customer | contact | self.peers).ids)]
        self.assertEqual(
            Partner.search([*scope, ("care_abuse_flag", "=", True)]), self.customer | contact
        )
        self.assertEqual(Partner.search([*scope, ("care_abuse_flag", "=", False)]), self.peers)

    def test_small_numbers_are_never_flagged(self):
        for peer in self.peers:
            self._history(peer, 1)
        self._history(self.customer, 4)  # 4 > 3 x 1, but under the minimum of 5
        self.assertFalse(self.customer.care_abuse_flag)
        self.company.care_abuse_min_count = 4
        self.customer.invalidate_recordset(["care_abuse_flag"])
        self.assertTrue(self.customer.care_abuse_flag)

    def test_peers_like_the_customer_mean_no_flag(self):
        for peer in self.peers:
            self._history(peer, 6)
        self._history(self.customer, 7)
        self.assertFalse(self.customer.care_abuse_flag)


@tagged("post_install", "-at_install")
class TestCharterBatch(charter_common.CharterCase):
    def _drafts(self, partners):
        return (
            self.env["loyalty.gesture"]
            .with_context(install_module="loyalty_gesture")  # created unchecked
            .create(
                [
                    {"partner_id": p.id, "type_id": self.type_financial.id, "value": 10}
                    for p in partners
                ]
            )
        )

    def test_batch_check_queries_do_not_grow_with_gestures(self):
        self._rule(cap_count=3, max_value=100)
        partners = self.env["res.partner"].create([{"name": f"Member {i}"} for i in range(10)])
        charter = self.env["loyalty.gesture.charter"]
        one, ten = self._drafts(partners[:1]), self._drafts(partners)
        charter._check_gestures(one)  # warm up
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        charter._check_gestures(one)
        queries = self.env.cr.sql_log_count - before
        self.env.invalidate_all()
        with self.assertQueryCount(queries):
            charter._check_gestures(ten)

    def test_pending_siblings_count_for_each_other(self):
        self._rule(cap_count=2)
        self._past_gesture(days_ago=20)
        first, second = self._drafts([self.customer, self.customer])
        (first | second)._write_workflow({"state": "to_approve"})
        results = self.env["loyalty.gesture.charter"]._evaluate_gestures(first | second)
        self.assertFalse(results[first.id]["allowed"], "1 granted + 1 pending sibling = 2")
        self.assertIn("the charter allows 2", results[second.id]["blocked_reasons"][0])
        charter = self.env["loyalty.gesture.charter"]
        self.assertFalse(charter._evaluate_gesture(first)["allowed"], "same alone")
        second._write_workflow({"state": "refused"})
        self.assertTrue(charter._evaluate_gesture(first)["allowed"])
