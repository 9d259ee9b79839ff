from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from ..models.loyalty_gesture_effect import prior_strength, shrink
from . import charter_common

SEVERITY = {"0": "low", "1": "medium", "2": "high", "3": "critical"}


class EffectCase(charter_common.CharterCase):
    """A built history with a known answer, in one cell per ticket priority.

    High-priority tickets ("2"): "Apology call" brought 120 of 200 customers back, "Voucher"
    40 of 100, "Lucky gift" 2 of 2; tickets that got no gesture 30 of 100. Low-priority
    tickets ("0"): "Voucher" 70 of 100, "Apology call" 20 of 100. Every gesture costs 10,
    every return is an order of 100; the other gesture types are archived.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Type = cls.env["loyalty.gesture.type"]
        Type.search([]).action_archive()
        values = {"category": "repair", "fulfilment": "service_task", "default_value": 10}
        cls.type_call = Type.create(dict(values, name="Apology call", max_value=100))
        cls.type_voucher = Type.create(dict(values, name="Voucher", max_value=100))
        cls.type_lucky = Type.create(dict(values, name="Lucky gift", max_value=100))
        cls.now = fields.Datetime.now()
        cls.team = cls.env["helpdesk.ticket.team"].create({"name": "After-sales"})
        cls._history(cls.type_call, "2", 200, 120)
        cls._history(cls.type_voucher, "2", 100, 40)
        cls._history(cls.type_lucky, "2", 2, 2)
        cls._history(None, "2", 100, 30)
        cls._history(cls.type_voucher, "0", 100, 70)
        cls._history(cls.type_call, "0", 100, 20)

    @classmethod
    def _history(cls, gesture_type, priority, cases, returns, days_ago=200, partners=None):
        """``cases`` past tickets at ``priority`` (with a gesture of ``gesture_type``, or
        none), ``returns`` of whose customers ordered 100 ten days later. SQL: quick."""
        cr, company = cls.env.cr, cls.company
        if partners is None:
            partners = cls.env["res.partner"].create(
                [{"name": "History %s" % i} for i in range(cases)]
            )
        when = cls.now - timedelta(days=days_ago)
        cls.env.flush_all()
        cr.execute(
            SQL(
                """
                INSERT INTO helpdesk_ticket (number, name, description, partner_id,
                    commercial_partner_id, company_id, team_id, priority, create_date, write_date)
                SELECT 'HIST', 'History ticket', '<p>History</p>', p, p, %(company)s, %(team)s,
                       %(priority)s, %(when)s - INTERVAL '1 day', %(when)s
                  FROM unnest(%(partners)s::int[]) p
             RETURNING id, partner_id
                """,
                company=company.id,
                team=cls.team.id,
                priority=priority,
                when=when,
                partners=partners.ids,
            )
        )
        tickets = cr.fetchall()
        if gesture_type:
            cr.execute(
                SQL(
                    """
                    INSERT INTO loyalty_gesture (name, company_id, partner_id,
                        commercial_partner_id, type_id, ticket_id, state, value, cost,
                        severity, done_date, create_date, write_date)
                    SELECT 'HIST', %(company)s, t.partner_id, t.partner_id, %(type)s, t.id,
                           'done', 10, 10, %(severity)s, %(when)s, %(when)s, %(when)s
                      FROM unnest(%(tickets)s::int[], %(partners)s::int[])
                           AS t(id, partner_id)
                    """,
                    company=company.id,
                    type=gesture_type.id,
                    severity=SEVERITY[priority],
                    when=when,
                    tickets=[t for t, _p in tickets],
                    partners=[p for _t, p in tickets],
                )
            )
        cr.execute(
            SQL(
                """
                INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                                        company_id, currency_id, date_order, state,
                                        amount_untaxed, amount_tax, amount_total,
                                        create_date, write_date)
                SELECT 'HIST/' || p, p, p, p, %(company)s, %(currency)s,
                       %(when)s + INTERVAL '10 days', 'sale', 100, 0, 100, %(when)s, %(when)s
                  FROM unnest(%(partners)s::int[]) p
                """,
                company=company.id,
                currency=company.currency_id.id,
                when=when,
                partners=partners.ids[:returns],
            )
        )
        cls.env.invalidate_all()
        return partners

    @classmethod
    def _measure(cls):
        return cls.env["loyalty.gesture.effect"]._compute_company_effects(cls.company)

    def _ticket(self, partner=None, priority="1", category=None, channel=None):
        ticket = super()._ticket(partner, priority, category, channel)
        ticket.team_id = self.team  # the kind of case of the history
        return ticket

    def _recommend(self, ticket):
        return self.env["loyalty.gesture.portrait"]._recommend(self.customer, ticket=ticket)

    def _open(self, ticket, user=None):
        action = ticket.with_user(user or self.agent).action_grant_gesture()
        wizard = ticket.env[action["res_model"]].with_user(user or self.agent)
        return Form(wizard.with_context(**action["context"]))


@tagged("post_install", "-at_install")
class TestEffects(EffectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._measure()

    def _effect(self, gesture_type, priority=None):
        domain = [("company_id", "=", self.company.id), ("type_id", "=", gesture_type.id)]
        if priority:
            domain += [("scope", "=", "case"), ("severity", "=", SEVERITY[priority])]
        else:
            domain += [("scope", "=", "type")]
        return self.env["loyalty.gesture.effect"].search(domain)

    def test_shrinkage_by_the_method_of_moments(self):
        # groups no more different than chance: pooled completely
        self.assertEqual(prior_strength([(100, 50), (100, 51), (100, 49)], 0.5), 1000.0)
        # very different groups: little pooling
        self.assertLess(prior_strength([(100, 10), (100, 90)], 0.5), 2.0)
        self.assertIsNone(prior_strength([(100, 50)], 0.5), "one group: nothing to estimate")
        rate, low, high = shrink(2, 2, 0.5, 10.0)
        self.assertAlmostEqual(rate, 7 / 12)
        self.assertLess(low, rate)
        self.assertGreater(high, rate)

    def test_figures_per_type_and_kind_of_case(self):
        call_high = self._effect(self.type_call, "2")
        self.assertRecordValues(
            call_high,
            [{"case_count": 200, "return_count": 120, "raw_return_rate": 60.0, "cost": 10.0}],
        )
        self.assertAlmostEqual(call_high.return_value, 100.0)
        self.assertTrue(50 < call_high.return_rate < 61, call_high.return_rate)
        self.assertLess(call_high.return_rate_low, call_high.return_rate)
        self.assertGreater(call_high.return_rate_high, call_high.return_rate)
        self.assertAlmostEqual(call_high.baseline_rate, 30.0, delta=5)
        self.assertAlmostEqual(call_high.lift, call_high.return_rate - call_high.baseline_rate)
        self.assertEqual(self._effect(self.type_call).case_count, 300)
        baseline = self.env["loyalty.gesture.effect"].search(
            [
                ("company_id", "=", self.company.id),
                ("is_baseline", "=", True),
                ("scope", "=", "type"),
            ]
        )
        self.assertEqual(baseline.case_count, 100)

    def test_a_type_tried_twice_does_not_lead_by_chance(self):
        lucky, call = self._effect(self.type_lucky, "2"), self._effect(self.type_call, "2")
        self.assertEqual(lucky.raw_return_rate, 100.0, "2 of 2 came back")
        self.assertLess(lucky.return_rate, call.return_rate, "shrunk toward the average")
        ranked = [r["type"] for r in self._recommend(self._ticket(priority="2"))]
        self.assertLess(ranked.index(self.type_call), ranked.index(self.type_lucky))

    def test_the_type_that_brings_customers_back_ranks_first_for_that_case(self):
        high = self._recommend(self._ticket(priority="2"))
        self.assertEqual(high[0]["type"], self.type_call, "60 % against 40 % at equal cost")
        self.assertGreater(high[0]["effect"]["net_value"], high[-1]["effect"]["net_value"])
        low = self._recommend(self._ticket(priority="0"))
        self.assertEqual(low[0]["type"], self.type_voucher, "70 % against 20 % for minor issues")

    def test_the_wizard_explains_the_top_three_in_words(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        ticket = self._ticket(priority="2")
        wizard = self._open(ticket)
        self.assertEqual(wizard.type_id, self.type_call)
        html = str(wizard.recommendation_html)
        self.assertRegex(
            html, r"Customers like this one came back \d+ % of the time after Apology call"
        )
        self.assertIn("% after Voucher", html)
        self.assertIn("based on 200 past cases like this one, 300 in all", html)
        self.assertIn("an association, not a proven cause", html)
        self.assertIn("of similar tickets without a gesture (100 tickets)", html)
        french = str(self._open(ticket.with_context(lang="fr_FR")).recommendation_html)
        self.assertIn("Les clients comme celui-ci sont revenus", french)

    def test_the_charter_still_forbids_what_it_forbids(self):
        self._rule(allowed_type_ids=[(6, 0, (self.type_voucher | self.type_lucky).ids)])
        ticket = self._ticket(priority="2")
        ranked = self._recommend(ticket)
        self.assertEqual(ranked[-1]["type"], self.type_call, "the best type, but forbidden")
        self.assertFalse(ranked[-1]["allowed"])
        self.assertTrue(all(r["allowed"] for r in ranked[:-1]))
        wizard = self._open(ticket)
        self.assertNotIn(self.type_call, wizard.suggested_type_ids)
        html = str(wizard.recommendation_html)
        self.assertIn("Not allowed here:", html)
        self.assertIn("does not allow &#34;Apology call&#34;", html)

    def test_agents_read_the_figures_only_through_the_wizard(self):
        with self.assertRaises(AccessError):
            self.env["loyalty.gesture.effect"].with_user(self.agent).search([])
        effects = self.env["loyalty.gesture.effect"].with_user(self.manager).search([])
        self.assertTrue(effects)
        self.assertFalse(
            self.env["loyalty.gesture.effect"].with_user(self.manager_b).search([]),
            "another company's figures stay there",
        )
        with self.assertRaises(AccessError):
            effects[:1].with_user(self.manager).write({"case_count": 1})

    def test_costly_gestures_with_little_effect_are_found(self):
        costly = self.env["loyalty.gesture.effect"].search(
            [
                ("company_id", "=", self.company.id),
                ("is_baseline", "=", False),
                ("net_value", "<", 0),
            ]
        )
        self.assertIn(self._effect(self.type_call, "0"), costly, "20 % against 30 %: a loss")
        self.assertNotIn(self._effect(self.type_call, "2"), costly)

    def test_nightly_recompute_replaces_the_figures(self):
        before = self.env["loyalty.gesture.effect"].search_count([])
        self.env["loyalty.gesture.effect"]._cron_compute()
        self.assertEqual(self.env["loyalty.gesture.effect"].search_count([]), before)


@tagged("post_install", "-at_install")
class TestExploration(EffectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._measure()

    def test_exploration_is_off_by_default(self):
        self.assertEqual(self.env["res.company"].create({"name": "New"}).care_exploration_rate, 0)
        wizard = self._open(self._ticket(priority="2"))
        self.assertEqual(wizard.type_id, self.type_call)
        gesture = self.env["loyalty.gesture"].browse(wizard.save().action_grant()["res_id"])
        self.assertRecordValues(
            gesture,
            [
                {
                    "suggested_type_id": self.type_call.id,
                    "suggested_by_exploration": False,
                    "suggestion_probability": 1.0,
                    "suggestion_followed": True,
                }
            ],
        )

    def test_exploration_at_full_share_suggests_the_second_best(self):
        self.company.care_exploration_rate = 100
        ticket = self._ticket(priority="2")
        best = [r["type"] for r in self._recommend(ticket) if r["allowed"]]
        wizard = self._open(ticket)
        self.assertEqual(wizard.type_id, best[1], "the second best")
        self.assertIn("keeps learning what works", str(wizard.recommendation_html))
        gesture = self.env["loyalty.gesture"].browse(wizard.save().action_grant()["res_id"])
        self.assertRecordValues(
            gesture,
            [
                {
                    "type_id": best[1].id,
                    "suggested_type_id": best[1].id,
                    "suggested_by_exploration": True,
                    "suggestion_probability": 1.0,
                    "suggestion_followed": True,
                }
            ],
        )
        # the agent prefers the best one: recorded as not followed
        wizard = self._open(self._ticket(priority="2"))
        wizard.type_id = best[0]
        gesture = self.env["loyalty.gesture"].browse(wizard.save().action_grant()["res_id"])
        self.assertTrue(gesture.suggested_by_exploration)
        self.assertFalse(gesture.suggestion_followed)

    def test_suggestion_fields_are_server_set(self):
        with self.assertRaises(UserError):
            self.env["loyalty.gesture"].with_user(self.agent).create(
                {
                    "partner_id": self.customer.id,
                    "type_id": self.type_call.id,
                    "suggested_by_exploration": True,
                }
            )

    def test_exploration_share_is_a_percentage(self):
        with self.assertRaises(ValidationError):
            self.company.care_exploration_rate = 150


@tagged("post_install", "-at_install")
class TestLittleHistory(EffectCase):
    """The same history, most of it too recent to know its outcome: the charter's order."""

    @classmethod
    def _history(cls, gesture_type, priority, cases, returns, days_ago=200, partners=None):
        # only the cases of "Lucky gift" are old enough to count
        days = days_ago if gesture_type and gesture_type.name == "Lucky gift" else 10
        return super()._history(gesture_type, priority, cases, returns, days, partners)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._measure()

    def test_too_little_history_falls_back_to_the_charter(self):
        ticket = self._ticket(priority="2")
        ranked = self._recommend(ticket)
        self.assertFalse(ranked[0]["effect"]["learned"])
        self.assertEqual(
            [r["type"] for r in ranked],
            sorted((r["type"] for r in ranked), key=lambda t: (t.sequence, t.name, t.id)),
            "equal charter scores: the catalog's order",
        )
        html = str(self._open(ticket).recommendation_html)
        self.assertIn("Too little history to learn from (2 past gestures", html)
        self.assertNotIn("Customers like this one", html)


@tagged("post_install", "-at_install")
class TestWizardQueries(EffectCase):
    def test_opening_the_wizard_does_not_grow_with_history(self):
        self._measure()
        customer = self.env["res.partner"].create({"name": "Long history"})
        for _i in range(2):
            self._history(self.type_voucher, "2", 1, 1, days_ago=150, partners=customer)
        ticket = self._ticket(partner=customer, priority="2")
        self._open(ticket)  # warm up
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        small = self._open(ticket)
        queries = self.env.cr.sql_log_count - before
        for _i in range(198):
            self._history(self.type_voucher, "2", 1, 1, days_ago=150, partners=customer)
        self._measure()
        self.env.invalidate_all()
        with self.assertQueryCount(queries):
            big = self._open(ticket)
        self.assertTrue(small.type_id and big.type_id)
        self.assertIn("based on", str(big.recommendation_html), "the learned ranking was used")
        self.assertLessEqual(queries, 39, "the wizard took 39 queries before it learned")
