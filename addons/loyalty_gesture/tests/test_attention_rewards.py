import logging

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged, users

from . import attention_common

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestAttentionRewards(attention_common.AttentionCase):
    """Tier crossings, referrals, and gestures going through the normal pipeline."""

    def test_tier_crossing_at_the_boundary(self):
        rule = self.make_rule(
            name="Gold welcome",
            event="tier_reached",
            tier="gold",
            action="gesture",
            gesture_type_id=self.type_coupon.id,
            gesture_value=15,
        )
        climber = self.make_customer("Climber")
        self.make_order(climber, 3000, when=self.days_ago(60))
        self.make_order(climber, 1999.99)
        self.run_attentions()
        self.assertFalse(self.attentions(rule), "4999.99 is just below the Gold threshold")
        self.make_order(climber, 0.01)
        self.run_attentions()
        attention = self.attentions(rule)
        self.assertRecordValues(
            attention, [{"partner_id": climber.id, "occurrence": "tier:gold", "state": "done"}]
        )
        self.assertEqual(climber.care_tier, "gold", "the same threshold as the customer's tier")
        self.make_order(climber, 500)
        self.run_attentions()
        self.assertEqual(len(self.attentions(rule)), 1, "once per tier reached")

    def test_tier_already_reached_is_no_crossing(self):
        rule = self.make_rule(
            event="tier_reached", tier="gold", action="gesture", gesture_type_id=self.type_coupon.id
        )
        already = self.make_customer("Already Gold")
        self.make_order(already, 6000, when=self.days_ago(60))
        self.make_order(already, 100)
        vip = self.make_customer("Straight To VIP")
        self.make_order(vip, 12000)
        self.run_attentions()
        self.assertEqual(self.attentions(rule).partner_id, vip, "jumping over Gold reaches it")

    def test_referral_rewarded_once(self):
        rule = self.make_rule(
            name="Referral",
            event="referral",
            action="gesture",
            gesture_type_id=self.type_points.id,
            gesture_value=10,
        )
        referred = self.make_customer("New Friend", care_referred_by_id=self.customer.id)
        self.run_attentions()
        self.assertFalse(self.attentions(rule), "no order yet")
        self.make_order(referred, 60)
        self.run_attentions()
        attention = self.attentions(rule)
        self.assertRecordValues(
            attention,
            [{"partner_id": self.customer.id, "occurrence": f"referral:{referred.id}"}],
        )
        # derived like any gesture: 10.00 at 0.10 a point (the program's reward)
        self.assertEqual(attention.gesture_id.points, 100)
        self.assertRegex(attention.gesture_id.points_text, r"^100 points, worth .*10[.,]00")
        self.assertEqual(attention.gesture_id.state, "done")
        card = self.company._care_points_card(self.customer, create=False)
        self.assertEqual(card.points, 100)
        self.make_order(referred, 80)
        self.run_attentions()
        self.assertEqual(len(self.attentions(rule)), 1, "a second order earns nothing more")

    def test_no_self_referral(self):
        with self.assertRaises(ValidationError):
            self.customer.care_referred_by_id = self.customer
        company = self.make_customer("Acme", is_company=True)
        employee = self.make_customer("Acme Buyer", parent_id=company.id)
        with self.assertRaises(ValidationError):
            company.care_referred_by_id = employee

    def test_gesture_goes_through_approval(self):
        rule = self.make_rule(
            event="order_confirmed",
            action="gesture",
            gesture_type_id=self.type_coupon.id,
            gesture_value=80,  # above the agent limit of 50
        )
        self.make_order(self.customer)
        self.run_attentions()
        attention = self.attentions(rule)
        self.assertEqual(attention.state, "done")
        self.assertEqual(attention.gesture_id.state, "to_approve")
        self.assertFalse(self.mails_to(self.customer), "the gesture email waits for approval")

    def test_gesture_refused_by_the_pipeline_is_logged(self):
        rule = self.make_rule(
            action="gesture", gesture_type_id=self.type_coupon.id, gesture_value=500
        )  # above the type's maximum
        self.make_order(self.customer)
        self.run_attentions()
        attention = self.attentions(rule)
        self.assertEqual(attention.state, "failed")
        self.assertIn("maximum", attention.note)
        self.assertFalse(
            self.env["loyalty.gesture"].search([("care_attention_rule_id", "=", rule.id)])
        )
        self.run_attentions()
        self.assertEqual(len(self.attentions(rule)), 1, "not retried every night")

    def test_agents_cannot_forge_an_automatic_gesture(self):
        rule = self.make_rule()
        with self.assertRaises(UserError):
            self.env["loyalty.gesture"].with_user(self.agent).create(
                {
                    "partner_id": self.customer.id,
                    "type_id": self.type_coupon.id,
                    "care_attention_rule_id": rule.id,
                }
            )


@tagged("post_install", "-at_install")
class TestAttentionParsimony(attention_common.AttentionCase):
    def test_contact_cap_applies(self):
        self.company.care_contact_max = 1
        self.env["care.contact.log"]._log_contact(self.customer, "gesture", company=self.company)
        rule = self.make_rule(action="gesture", gesture_type_id=self.type_coupon.id)
        self.make_order(self.customer)
        self.run_attentions()
        attention = self.attentions(rule)
        self.assertRecordValues(attention, [{"state": "skipped", "skip_reason": "throttled"}])
        self.assertFalse(attention.gesture_id)
        self.assertFalse(self.mails_to(self.customer))
        self.run_attentions()
        self.assertEqual(len(self.attentions(rule)), 1)

    def test_attentions_count_in_the_contact_pressure(self):
        self.company.care_contact_max = 1
        thanks = self.make_rule()
        second = self.make_rule(name="Second", min_order_amount=10)
        self.make_order(self.customer)
        self.run_attentions()
        states = (self.attentions(thanks) | self.attentions(second)).mapped("state")
        self.assertEqual(sorted(states), ["done", "skipped"], "one message, the other capped")
        self.assertEqual(len(self.mails_to(self.customer)), 1)

    def test_opt_out_respected(self):
        self.customer.care_opt_out = True
        rule = self.make_rule()
        self.make_order(self.customer)
        self.run_attentions()
        self.assertRecordValues(
            self.attentions(rule), [{"state": "skipped", "skip_reason": "opt_out"}]
        )
        self.assertFalse(self.mails_to(self.customer))

    def test_candidate_search_queries_do_not_grow(self):
        rule = self.make_rule()
        customers = [self.make_customer(f"Perf {i}") for i in range(30)]
        for customer in customers[:3]:
            self.make_order(customer)
        rule._find_candidates()  # warm up
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        few = rule._find_candidates()
        small = self.cr.sql_log_count - before
        for customer in customers[3:]:
            self.make_order(customer)
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        many = rule._find_candidates()
        large = self.cr.sql_log_count - before
        _logger.info(
            "attention candidates: %s found in %s queries, %s in %s",
            len(few),
            small,
            len(many),
            large,
        )
        self.assertEqual((len(few), len(many)), (3, 30))
        self.assertEqual(small, large)
        self.assertLessEqual(large, 5)


@tagged("post_install", "-at_install")
class TestAttentionCompaniesAndAccess(attention_common.AttentionCase):
    def test_companies_are_isolated(self):
        rule_b = self.make_rule(name="Thanks B", company_id=self.company_b.id)
        self.make_order(self.customer)
        self.run_attentions()
        self.assertFalse(self.attentions(rule_b), "orders of another company")
        order_b = self.make_order(self.customer, company=self.company_b)
        self.run_attentions()
        attention = self.attentions(rule_b)
        self.assertRecordValues(
            attention, [{"sale_order_id": order_b.id, "company_id": self.company_b.id}]
        )
        Rule = self.env["care.attention.rule"].with_user(self.manager)
        self.assertFalse(Rule.search([("id", "=", rule_b.id)]))
        self.assertFalse(
            self.env["care.attention"].with_user(self.manager).search([("id", "=", attention.id)])
        )

    @users("care_agent")
    def test_agent_reads_but_does_not_configure(self):
        rule = self.make_rule().with_user(self.env.user)
        self.assertEqual(rule.event, "order_confirmed")
        with self.assertRaises(AccessError):
            rule.write({"delay_days": 3})
        with self.assertRaises(AccessError):
            self.env["care.attention.rule"].create(
                {"name": "Agent rule", "mail_template_id": self.template_thanks.id}
            )
        with self.assertRaises(UserError):
            rule.action_run_now()

    @users("care_manager")
    def test_manager_configures_and_runs(self):
        rule = self.env["care.attention.rule"].create(
            {
                "name": "Manager rule",
                "mail_template_id": self.template_thanks.id,
                "partner_domain": attention_common.TEST_DOMAIN,
            }
        )
        self.assertEqual(rule.company_id, self.company)
        self.make_order(self.customer.sudo())
        rule.action_run_now()  # queued for the scheduled action, which serves it first
        self.assertEqual(rule.run_state, "pending")
        self.env["care.attention.rule"].sudo()._cron_process()
        self.assertEqual(rule.last_run_reached, 1)
        self.assertEqual(rule.attention_count, 1)
        self.assertEqual(self.customer.with_user(self.env.user).care_attention_count, 1)
        action = rule.action_view_attentions()
        self.assertEqual(self.env["care.attention"].search(action["domain"]).rule_id, rule)
