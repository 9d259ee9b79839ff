from datetime import date

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import freeze_time, tagged

from . import attention_common


@tagged("post_install", "-at_install")
class TestAttentionEvents(attention_common.AttentionCase):
    """Each event fires exactly once per occurrence; rerunning the cron sends nothing."""

    def test_thank_you_once_per_order(self):
        rule = self.make_rule(min_order_amount=50)
        order = self.make_order(self.customer, 80)
        self.make_order(self.make_customer("Small Basket"), 20)  # below the minimum
        self.assertEqual(self.run_attentions(), 1)
        attention = self.attentions(rule)
        self.assertRecordValues(
            attention,
            [
                {
                    "partner_id": self.customer.id,
                    "sale_order_id": order.id,
                    "occurrence": f"order:{order.id}",
                    "state": "done",
                    "event": "order_confirmed",
                }
            ],
        )
        self.assertEqual(len(self.mails_to(self.customer)), 1)
        log = self.env["care.contact.log"].search(
            [("res_model", "=", "care.attention"), ("res_id", "=", attention.id)]
        )
        self.assertEqual(
            (log.kind, log.state, log.partner_id), ("attention", "sent", self.customer)
        )
        # rerun: nothing new
        self.assertEqual(self.run_attentions(), 0)
        self.assertEqual(len(self.attentions(rule)), 1)
        self.assertEqual(len(self.mails_to(self.customer)), 1)

    def test_thank_you_ignores_old_orders(self):
        """A new rule does not reach back further than its catch-up days."""
        rule = self.make_rule(grace_days=7)
        self.make_order(self.customer, 100, when=self.days_ago(8))
        self.run_attentions()
        self.assertFalse(self.attentions(rule))
        self.make_order(self.customer, 100, when=self.days_ago(7))
        self.run_attentions()
        self.assertEqual(len(self.attentions(rule)), 1)

    def test_order_confirmation_wakes_the_cron(self):
        self.make_rule()
        cron = self.env.ref("loyalty_gesture.ir_cron_care_attentions")
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        self.make_order(self.customer)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), len(triggers)
        )

    def test_check_in_after_the_last_order_only(self):
        rule = self.make_rule(event="order_followup", delay_days=21, grace_days=3)
        self.make_order(self.customer, 100, when=self.days_ago(22))
        other = self.make_customer("Paul Reorder")
        self.make_order(other, 100, when=self.days_ago(21))
        self.make_order(other, 100, when=self.days_ago(2))  # ordered again: no check-in
        self.make_order(self.make_customer("Too Recent"), 100, when=self.days_ago(10))
        self.run_attentions()
        self.assertEqual(self.attentions(rule).partner_id, self.customer)
        self.run_attentions()
        self.assertEqual(len(self.attentions(rule)), 1)

    def test_purchase_anniversary_once_a_year(self):
        rule = self.make_rule(event="purchase_anniversary", grace_days=0)
        with freeze_time("2025-03-10 09:00:00"):
            self.make_order(self.customer, 100)
            new = self.make_customer("New This Year")
        with freeze_time("2026-01-05 09:00:00"):
            self.make_order(new, 100)
        with freeze_time("2026-03-10 12:00:00"):
            self.run_attentions()
            self.run_attentions()
        self.assertRecordValues(
            self.attentions(rule),
            [{"partner_id": self.customer.id, "occurrence": "anniversary:2026"}],
        )
        with freeze_time("2027-03-10 12:00:00"):
            self.run_attentions()
        self.assertEqual(
            sorted(self.attentions(rule).mapped("occurrence")),
            ["anniversary:2026", "anniversary:2027"],
        )

    def test_min_days_between_two_attentions_of_a_rule(self):
        rule = self.make_rule(min_days_between=30)
        self.make_order(self.customer, 100, when=self.days_ago(3))
        self.make_order(self.customer, 100, when=self.days_ago(1))
        self.run_attentions()
        self.run_attentions()
        self.assertEqual(len(self.attentions(rule)), 1, "one thank-you a month at most")
        rule.min_days_between = 0
        self.run_attentions()
        self.assertEqual(len(self.attentions(rule)), 2, "the other order gets its own")

    def test_partner_domain_and_minimum_tier(self):
        rule = self.make_rule(
            partner_domain=f"[('ref', '=', '{attention_common.TEST_REF}'), ('city', '=', 'Lyon')]"
        )
        lyon = self.make_customer("Lyon Customer", city="Lyon")
        self.make_order(lyon)
        self.make_order(self.customer)
        self.run_attentions()
        self.assertEqual(self.attentions(rule).partner_id, lyon)
        silver = self.make_rule(name="Silver thanks", tier="silver")
        big = self.make_customer("Big Spender")
        self.make_order(big, 1000)
        self.run_attentions()
        self.assertEqual(self.attentions(silver).partner_id, big)

    def test_bad_configuration_is_refused(self):
        with self.assertRaises(ValidationError):
            self.make_rule(action="gesture")  # no gesture type
        with self.assertRaises(ValidationError):
            self.make_rule(mail_template_id=self.template_gesture.id)  # not a contact template
        with self.assertRaises(ValidationError):
            self.make_rule(event="tier_reached", tier="standard")
        with self.assertRaises(ValidationError):
            self.make_rule(partner_domain="[('no_such_field', '=', 1)]")
        with self.assertRaises(ValidationError):
            self.make_rule(delay_days=-1)
        with self.assertRaises(ValidationError):
            self.make_rule(grace_days=365)
        with self.assertRaises(ValidationError):
            self.make_rule(action="gesture", gesture_type_id=self.type_coupon.id, gesture_value=-5)


@tagged("post_install", "-at_install")
class TestAttentionBirthday(attention_common.AttentionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls.make_rule(
            name="Birthday",
            event="birthday",
            action="gesture",
            gesture_type_id=cls.type_coupon.id,
            gesture_value=10,
            grace_days=0,
        )

    def born(self, name, birthdate, changed_on):
        customer = self.make_customer(name, birthdate_date=birthdate)
        customer.care_birthdate_changed_on = changed_on
        self.make_order(customer, 50, when=self.at(2020, 1, 15))
        return customer

    def test_birthday_once_a_year_with_a_gesture(self):
        customer = self.born("Anna Birthday", date(1990, 6, 15), date(2020, 1, 1))
        self.born("Other Day", date(1990, 6, 16), date(2020, 1, 1))
        with freeze_time("2026-06-15 08:00:00"):
            self.run_attentions()
            self.run_attentions()
        attention = self.attentions(self.rule)
        self.assertRecordValues(
            attention, [{"partner_id": customer.id, "occurrence": "birthday:2026", "state": "done"}]
        )
        self.assertRecordValues(
            attention.gesture_id,
            [
                {
                    "care_origin": "attention",
                    "care_attention_rule_id": self.rule.id,
                    "state": "done",
                    "value": 10,
                }
            ],
        )
        self.assertTrue(attention.gesture_id.coupon_card_id)
        self.assertFalse(attention.gesture_id.follow_up_date, "no follow-up for the system user")
        mail = self.mails_to(customer)
        self.assertEqual(len(mail), 1)
        # in the customer's language (the test database speaks French by default)
        self.assertRegex(mail.body_html, "Happy birthday|Joyeux anniversaire")
        with freeze_time("2027-06-15 08:00:00"):
            self.run_attentions()
        self.assertEqual(len(self.attentions(self.rule)), 2)

    def test_customers_of_the_company_only(self):
        self.make_customer("Never Ordered", birthdate_date=date(1990, 6, 15))
        with freeze_time("2026-06-15 08:00:00"):
            self.run_attentions()
        self.assertFalse(self.attentions(self.rule))

    def test_birthdate_set_late_waits_for_next_year(self):
        late = self.born("Late Setter", date(1985, 6, 15), date(2026, 5, 17))  # 29 days before
        just_in_time = self.born("On Time", date(1985, 6, 15), date(2026, 5, 16))  # 30 days
        with freeze_time("2026-06-15 08:00:00"):
            self.run_attentions()
        self.assertEqual(self.attentions(self.rule).partner_id, just_in_time)
        with freeze_time("2027-06-15 08:00:00"):
            self.run_attentions()
        self.assertEqual(
            self.attentions(self.rule, occurrence="birthday:2027").partner_id, late | just_in_time
        )

    def test_changing_the_birthdate_is_tracked(self):
        with freeze_time("2026-06-01 08:00:00"):
            customer = self.make_customer("Gamer", birthdate_date=date(1990, 1, 1))
            self.assertEqual(customer.care_birthdate_changed_on, date(2026, 6, 1))
        with freeze_time("2026-06-05 08:00:00"):
            customer.birthdate_date = date(1990, 6, 15)
            self.assertEqual(customer.care_birthdate_changed_on, date(2026, 6, 5))
        self.make_order(customer, 50, when=self.at(2020, 1, 15))
        with freeze_time("2026-06-15 08:00:00"):
            self.run_attentions()
        self.assertFalse(self.attentions(self.rule), "changed 10 days before: not this year")

    def test_february_29(self):
        leap = self.born("Leap Day", date(2000, 2, 29), date(2020, 1, 1))
        with freeze_time("2027-02-28 08:00:00"):  # not a leap year: celebrated on the 28th
            self.run_attentions()
        self.assertEqual(self.attentions(self.rule, occurrence="birthday:2027").partner_id, leap)
        with freeze_time("2028-02-28 08:00:00"):  # leap year: waits for the 29th
            self.run_attentions()
        self.assertFalse(self.attentions(self.rule, occurrence="birthday:2028"))
        with freeze_time("2028-02-29 08:00:00"):
            self.run_attentions()
        self.assertEqual(self.attentions(self.rule, occurrence="birthday:2028").partner_id, leap)

    def test_rewriting_the_same_birthdate_is_no_change(self):
        customer = self.born("Steady", date(1990, 6, 15), date(2020, 1, 1))
        customer.write({"birthdate_date": date(1990, 6, 15)})
        self.assertEqual(customer.care_birthdate_changed_on, date(2020, 1, 1))
        customer.write({"birthdate_date": "1990-06-16"})
        self.assertEqual(customer.care_birthdate_changed_on, fields.Date.context_today(customer))
