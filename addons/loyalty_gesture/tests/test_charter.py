from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged, users
from odoo.tools import mute_logger

from . import charter_common


@tagged("post_install", "-at_install")
class TestCharterConditions(charter_common.CharterCase):
    def test_no_rule_falls_back_to_the_agent_limit(self):
        result = self._evaluate(40)
        self.assertTrue(result["allowed"])
        self.assertFalse(result["needs_approval"])
        self.assertFalse(result["rule"])
        self.assertIn("No charter rule applies: the agent limit decides.", result["reasons"])
        result = self._evaluate(60)
        self.assertTrue(result["allowed"])
        self.assertTrue(result["needs_approval"])
        self.assertIn("is above the agent limit of", result["approval_reasons"][0])

    def test_ticket_priority(self):
        rule = self._rule(priority_min="2", priority_max="2")
        self.assertEqual(self._evaluate(10, ticket=self._ticket(priority="2"))["rule"], rule)
        self.assertFalse(self._evaluate(10, ticket=self._ticket(priority="3"))["rule"])
        self.assertFalse(self._evaluate(10, ticket=self._ticket(priority="1"))["rule"])
        self.assertFalse(self._evaluate(10)["rule"], "a priority rule needs a ticket")

    def test_customer_tier_from_12_month_revenue(self):
        rule = self._rule(tier_min="silver", tier_max="gold")
        self._order(400, days_ago=400)  # older than 12 months: not in the tier
        self._order(900, days_ago=10)
        self.assertFalse(self._evaluate(10)["rule"], "900 in 12 months: standard")
        self._order(200, days_ago=3)
        self.assertEqual(self._evaluate(10)["rule"], rule, "1,100 in 12 months: silver")
        self._order(19000, days_ago=1)
        self.assertFalse(self._evaluate(10)["rule"], "VIP is above the rule's gold")

    def test_seniority_in_months(self):
        rule = self._rule(seniority_min_months=24)
        self._order(100, days_ago=300)
        self.assertFalse(self._evaluate(10)["rule"])
        self._order(100, days_ago=800)
        self.assertEqual(self._evaluate(10)["rule"], rule)
        newcomer_rule = self._rule(seniority_max_months=3, sequence=1)
        self.assertEqual(self._evaluate(10)["rule"], rule, "26 months is not new")
        newcomer = self.env["res.partner"].create({"name": "New Customer"})
        self._order(50, days_ago=20, partner=newcomer)
        self.assertEqual(self._evaluate(10, partner=newcomer)["rule"], newcomer_rule)

    def test_reactivity_to_earlier_offers(self):
        rule = self._rule(reactivity_min=50)
        matches = lambda rate: rule._matches(  # noqa: E731
            self.customer, {"coupon_use_rate": rate}, None, None, rule.portrait_ids
        )
        self.assertTrue(matches(75.0))
        self.assertTrue(matches(50.0))
        self.assertFalse(matches(20.0))
        self.assertFalse(matches(None), "no coupon yet: unknown reactivity")
        rule.write({"reactivity_min": 0, "reactivity_max": 20})
        self.assertTrue(matches(0.0))
        self.assertFalse(matches(75.0))
        with self.assertRaises(ValidationError), self.cr.savepoint():
            rule.write({"reactivity_min": 80, "reactivity_max": 20})
            rule.flush_recordset()

    def test_ticket_category_and_channel(self):
        rule = self._rule(
            category_ids=[(6, 0, self.category_delivery.ids)],
            channel_ids=[(6, 0, self.channel_phone.ids)],
        )
        by_phone = self._ticket(category=self.category_delivery, channel=self.channel_phone)
        self.assertEqual(self._evaluate(10, ticket=by_phone)["rule"], rule)
        by_email = self._ticket(category=self.category_delivery, channel=self.channel_email)
        self.assertFalse(self._evaluate(10, ticket=by_email)["rule"])
        self.assertEqual(
            self._evaluate(10, ticket=by_email, channel=self.channel_phone)["rule"],
            rule,
            "an explicit channel wins over the ticket's",
        )
        billing = self._ticket(category=self.category_billing, channel=self.channel_phone)
        self.assertFalse(self._evaluate(10, ticket=billing)["rule"])

    def test_customer_domain(self):
        rule = self._rule(partner_domain="[('city', '=', 'Lyon')]")
        self.assertFalse(self._evaluate(10)["rule"])
        self.customer.city = "Lyon"
        self.assertEqual(self._evaluate(10)["rule"], rule)
        with self.assertRaises(ValidationError):
            self._rule(partner_domain="[('no_such_field', '=', 1)]")

    def test_archived_portrait_or_type_never_widens_a_rule(self):
        portrait = self.env["loyalty.gesture.portrait"].create(
            {
                "name": "Anyone",
                "criterion_ids": [
                    (0, 0, {"metric": "order_count", "operator": ">=", "value": "0"})
                ],
            }
        )
        rule = self._rule(
            portrait_ids=[(6, 0, portrait.ids)],
            allowed_type_ids=[(6, 0, self.type_repair.ids)],
        )
        self.assertEqual(self._evaluate(10, gesture_type=self.type_repair)["rule"], rule)
        self.type_repair.action_archive()
        self.assertFalse(self._evaluate(10)["allowed"], "the other types stay blocked")
        portrait.action_archive()
        self.assertFalse(self._evaluate(10)["rule"], "nobody matches an archived portrait")

    def test_conditions_in_words(self):
        rule = self._rule(
            priority_min="2",
            tier_min="gold",
            seniority_max_months=3,
            reactivity_min=50,
            channel_ids=[(6, 0, (self.channel_phone | self.channel_email).ids)],
        )
        self.assertEqual(
            rule.conditions_summary,
            "ticket priority High or above, Gold customers or above, customers for 3 months "
            "or less, 50 to 100% of coupons used, channel Phone or Email",
        )
        self.assertEqual(self._rule(name="Default").conditions_summary, "every case")

    def test_first_matching_rule_applies_in_order(self):
        general = self._rule(name="General", sequence=20)
        high = self._rule(name="High priority", sequence=10, priority_min="2")
        ticket = self._ticket(priority="3")
        self.assertEqual(self._evaluate(10, ticket=ticket)["rule"], high)
        self.assertIn(
            'Charter rule "High priority" applies (ticket priority High or above).',
            self._evaluate(10, ticket=ticket)["reasons"],
        )
        self.assertEqual(self._evaluate(10)["rule"], general)
        high.active = False
        self.assertEqual(self._evaluate(10, ticket=ticket)["rule"], general)


@tagged("post_install", "-at_install")
class TestCharterEffects(charter_common.CharterCase):
    def test_allowed_types_and_category(self):
        self._rule(allowed_type_ids=[(6, 0, self.type_repair.ids)])
        result = self._evaluate(10, gesture_type=self.type_financial)
        self.assertFalse(result["allowed"])
        self.assertEqual(
            result["blocked_reasons"],
            [
                'Blocked: the charter does not allow "Goodwill credit" in this case '
                "(allowed: Replacement part)."
            ],
        )
        self.assertTrue(self._evaluate(10, gesture_type=self.type_repair)["allowed"])
        self.charter.rule_ids.write({"allowed_type_ids": [(5,)], "allowed_category": "attentive"})
        result = self._evaluate(10, gesture_type=self.type_repair)
        self.assertEqual(
            result["blocked_reasons"],
            ["Blocked: the charter allows only attentive gestures in this case."],
        )
        self.assertTrue(self._evaluate(0, gesture_type=self.type_attentive)["allowed"])

    def test_maximum_value(self):
        self._rule(max_value=80)
        result = self._evaluate(80)
        self.assertTrue(result["allowed"])
        self.assertEqual(result["max_value"], 80)
        result = self._evaluate(81)
        self.assertFalse(result["allowed"])
        self.assertIn("above the charter's maximum of", result["blocked_reasons"][0])

    def test_cap_in_count_over_rolling_12_months(self):
        self._past_gesture(days_ago=400)  # out of the window
        self._past_gesture(days_ago=200)
        self._past_gesture(days_ago=20)
        self._past_gesture(days_ago=5, state="cancelled")  # does not count
        self._past_gesture(days_ago=5, company=self.company_b)  # other company's charter
        self._rule(cap_count=3)
        result = self._evaluate(10)
        self.assertTrue(result["allowed"])
        self.assertEqual(result["cap_count_left"], 1)
        self.assertIn("2 gestures in the last 12 months, 1 more allowed.", result["reasons"])
        self._past_gesture(days_ago=1)
        result = self._evaluate(10)
        self.assertFalse(result["allowed"])
        self.assertEqual(result["cap_count_left"], 0)
        self.assertEqual(
            result["blocked_reasons"],
            ["Blocked: 3 gestures in the last 12 months, the charter allows 3."],
        )

    def test_cap_in_value_over_rolling_12_months(self):
        self._past_gesture(days_ago=100, value=150)
        self._past_gesture(days_ago=500, value=300)  # out of the window
        self._rule(cap_value=200)
        result = self._evaluate(50)
        self.assertTrue(result["allowed"])
        self.assertEqual(result["cap_value_left"], 50)
        self.assertEqual(result["max_value"], 50, "the value left caps the gesture")
        result = self._evaluate(60)
        self.assertFalse(result["allowed"])
        self.assertIn("already granted in the last 12 months", result["blocked_reasons"][0])

    def test_minimum_days_between_two_gestures(self):
        self._past_gesture(days_ago=10)
        rule = self._rule(min_days_between=30)
        result = self._evaluate(10)
        self.assertFalse(result["allowed"])
        self.assertEqual(
            result["blocked_reasons"],
            [
                "Blocked: the last gesture was 10 days ago, the charter requires 30 days "
                "between two gestures."
            ],
        )
        rule.min_days_between = 10
        self.assertTrue(self._evaluate(10)["allowed"])

    def test_approval_above_a_value_or_always(self):
        rule = self._rule(approval_mode="above", approval_above=100)
        self.assertFalse(self._evaluate(90)["needs_approval"], "the charter raises the limit")
        result = self._evaluate(120)
        self.assertTrue(result["needs_approval"])
        self.assertIn(
            "Approval needed: the charter requires a manager's approval above",
            result["approval_reasons"][0],
        )
        rule.approval_mode = "always"
        self.assertTrue(self._evaluate(1)["needs_approval"])
        rule.approval_mode = "limit"
        self.assertFalse(self._evaluate(50)["needs_approval"])
        self.assertTrue(self._evaluate(51)["needs_approval"])

    def test_negative_and_over_type_maximum_values_are_blocked(self):
        self.assertFalse(self._evaluate(-5)["allowed"])
        result = self._evaluate(501)
        self.assertFalse(result["allowed"])
        self.assertIn('for "Goodwill credit"', result["blocked_reasons"][0])
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self._rule(cap_count=-1)
            self.env.flush_all()


@tagged("post_install", "-at_install")
class TestCharterEnforcement(charter_common.CharterCase):
    def _create_as_agent(self, value, gesture_type=None):
        return (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .create(
                {
                    "partner_id": self.customer.id,
                    "type_id": (gesture_type or self.type_financial).id,
                    "value": value,
                }
            )
        )

    def test_orm_create_over_the_cap_fails_with_the_reason(self):
        self._past_gesture(days_ago=30)
        self._past_gesture(days_ago=60)
        self._rule(cap_count=2)
        with self.assertRaises(UserError) as error:
            self._create_as_agent(10)
        self.assertIn(
            "Blocked: 2 gestures in the last 12 months, the charter allows 2.",
            str(error.exception),
        )
        self.assertIn("Claire Martin", str(error.exception))

    def test_import_over_the_cap_is_refused(self):
        self._past_gesture(days_ago=30)
        self._rule(cap_count=1)
        result = (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .load(
                ["partner_id/.id", "type_id/.id", "value"],
                [[str(self.customer.id), str(self.type_financial.id), "10"]],
            )
        )
        self.assertFalse(result["ids"])
        self.assertIn("the charter allows 1", result["messages"][0]["message"])

    def test_orm_write_is_checked_too(self):
        self._rule(max_value=100)
        gesture = self._create_as_agent(50)
        with self.assertRaises(UserError):
            gesture.write({"value": 150})
        gesture.write({"value": 90})
        self.assertEqual(gesture.value, 90)

    def test_submit_follows_the_charter_approval(self):
        self._rule(approval_mode="above", approval_above=20)
        gesture = self._create_as_agent(30)  # under the agent limit of 50
        gesture.action_submit()
        self.assertEqual(gesture.state, "to_approve")
        small = self._create_as_agent(20)
        small.action_submit()
        self.assertIn(small.state, ("approved", "done"))

    def test_approval_never_by_the_requester_and_rechecks_the_charter(self):
        self._rule(cap_count=2, approval_mode="always")
        own = (
            self.env["loyalty.gesture"]
            .with_user(self.manager)
            .create({"partner_id": self.customer.id, "type_id": self.type_financial.id})
        )
        own.action_submit()
        self.assertEqual(own.state, "to_approve")
        with self.assertRaises(UserError):
            own.action_approve()
        gesture = self._create_as_agent(10)
        gesture.action_submit()
        self.assertEqual(gesture.state, "to_approve", "two pending gestures fit the cap")
        with self.assertRaises(AccessError):
            gesture.action_approve()
        self._past_gesture(days_ago=3)  # granted meanwhile by someone else
        with self.assertRaises(UserError) as error:
            gesture.with_user(self.manager).action_approve()
        self.assertIn("the charter allows 2", str(error.exception))
        self.assertEqual(gesture.state, "to_approve")

    def test_managers_of_the_company_get_an_approval_activity(self):
        self._rule(approval_mode="always")
        gesture = self._create_as_agent(10)
        gesture.action_submit()
        activities = gesture.activity_ids.filtered(
            lambda a: (
                a.activity_type_id
                == self.env.ref("loyalty_gesture.mail_activity_type_gesture_approval")
            )
        )
        self.assertIn(self.manager, activities.user_id)
        self.assertNotIn(self.manager_b, activities.user_id, "another company's manager")
        self.assertNotIn(self.agent, activities.user_id, "never the requester")
        self.assertIn("the charter requires a manager", activities[0].note)
        gesture.with_user(self.manager).action_approve()
        self.assertFalse(gesture.activity_ids & activities, "approval closes them")
        refused = self._create_as_agent(10)
        refused.action_submit()
        self.assertTrue(refused.activity_ids)
        refused.with_user(self.manager).action_refuse()
        self.assertEqual(refused.state, "refused")
        self.assertFalse(
            refused.activity_ids.filtered(
                lambda a: (
                    a.activity_type_id.res_model == "loyalty.gesture"
                    and a.activity_type_id.name == "Approve a gesture"
                )
            )
        )

    def test_manager_refuses_with_a_reason_told_to_the_agent(self):
        self._rule(approval_mode="always")
        gesture = self._create_as_agent(10)
        gesture.action_submit()
        wizard = (
            self.env["loyalty.gesture.refuse.wizard"]
            .with_user(self.manager)
            .with_context(active_model="loyalty.gesture", active_ids=gesture.ids)
            .create({"reason": "Third complaint this month, a call will do."})
        )
        self.assertEqual(wizard.gesture_ids, gesture)
        wizard.action_refuse()
        self.assertEqual(gesture.state, "refused")
        message = gesture.message_ids[:1]
        self.assertIn("Refused: Third complaint this month", message.body)
        self.assertIn(self.agent.partner_id, message.partner_ids)
        with self.assertRaises(AccessError):
            self.env["loyalty.gesture.refuse.wizard"].with_user(self.agent).create(
                {"gesture_ids": gesture.ids, "reason": "Myself"}
            )

    def test_manager_approves_someone_elses_request(self):
        self._rule(approval_mode="always")
        gesture = self._create_as_agent(10)
        gesture.action_submit()
        gesture.with_user(self.manager).action_approve()
        self.assertEqual(gesture.approved_by_id, self.manager)
        self.assertIn(gesture.state, ("approved", "done"))


@tagged("post_install", "-at_install")
class TestCharterAccess(charter_common.CharterCase):
    @users("care_agent")
    def test_agent_reads_but_cannot_change_the_charter(self):
        charter = self.env["loyalty.gesture.charter"].browse(self.charter.id)
        self.assertEqual(charter.name, "Test charter")
        with self.assertRaises(AccessError):
            charter.write({"name": "Anything goes"})
        with self.assertRaises(AccessError):
            self.env["loyalty.gesture.charter.rule"].create(
                {"charter_id": charter.id, "name": "Free for all"}
            )

    def test_other_company_charter_is_invisible_and_not_applied(self):
        self._rule(max_value=10)
        charter_b = self.env["loyalty.gesture.charter"].create(
            {
                "name": "Charter B",
                "company_id": self.company_b.id,
                "rule_ids": [(0, 0, {"name": "B rule", "max_value": 500})],
            }
        )
        as_manager_a = self.env["loyalty.gesture.charter"].with_user(self.manager)
        self.assertFalse(as_manager_a.search([("id", "=", charter_b.id)]))
        with self.assertRaises(AccessError):
            as_manager_a.browse(charter_b.id).read(["name"])
        self.assertFalse(
            self.env["loyalty.gesture.charter.rule"]
            .with_user(self.manager)
            .search([("charter_id", "=", charter_b.id)])
        )
        self.assertFalse(self._evaluate(100)["allowed"], "company A's rule caps at 10")
        self.assertTrue(self._evaluate(100, company=self.company_b)["allowed"])

    def test_one_active_charter_per_company(self):
        with self.assertRaises(ValidationError):
            self.env["loyalty.gesture.charter"].create(
                {"name": "Second", "company_id": self.company.id}
            )


@tagged("post_install", "-at_install")
class TestDemoCharter(charter_common.CharterCase):
    """The seed's charter, as shipped in the demo data."""

    def setUp(self):
        super().setUp()
        self.charter.action_archive()
        self.demo = self.env.ref("loyalty_gesture.charter_main")
        self.demo.action_unarchive()
        self.demo.company_id = self.company

    def test_minor_issue_calls_for_an_attentive_gesture(self):
        ticket = self._ticket(priority="0")
        blocked = self._evaluate(10, ticket=ticket)
        self.assertEqual(blocked["rule"], self.env.ref("loyalty_gesture.charter_rule_minor_issue"))
        self.assertFalse(blocked["allowed"])
        allowed = self._evaluate(0, gesture_type=self.type_attentive, ticket=ticket)
        self.assertTrue(allowed["allowed"])

    def test_major_complaint_from_a_gold_customer_may_be_compensated(self):
        self._order(6000, days_ago=900)
        self._order(6000, days_ago=30)
        ticket = self._ticket(priority="2")
        result = self._evaluate(120, ticket=ticket)
        self.assertEqual(result["rule"], self.env.ref("loyalty_gesture.charter_rule_major_valued"))
        self.assertTrue(result["allowed"])
        self.assertFalse(result["needs_approval"], "up to 150 without a manager")
        self.assertTrue(self._evaluate(200, ticket=ticket)["needs_approval"])
        self.assertFalse(self._evaluate(301, ticket=ticket)["allowed"])

    def test_new_customer_gets_a_welcome_offer_and_others_the_general_rule(self):
        self.env.ref("loyalty_gesture.portrait_new_customer").company_id = self.company
        self.env.ref("loyalty_gesture.portrait_new_customer").action_unarchive()
        self.assertEqual(
            self._evaluate(10)["rule"], self.env.ref("loyalty_gesture.charter_rule_general")
        )
        self._order(80, days_ago=10)
        result = self._evaluate(120)
        self.assertEqual(result["rule"], self.env.ref("loyalty_gesture.charter_rule_new_customer"))
        self.assertFalse(result["allowed"], "a welcome offer stays under 100")
