from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.addons.loyalty_gesture.tests.common import MANAGER, load_migration
from odoo.exceptions import UserError
from odoo.tests import tagged

from . import common


@tagged("post_install", "-at_install")
class TestCampaignUtm(common.WinbackCase):
    """The campaign's UTM: its utm.campaign, a source per email step, the email medium,
    carried by its opportunities and by the orders that use its coupons."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sleepers = cls._sleepers("Utm sleeper {:02d}", 4)
        cls.scores._compute_company_scores(cls.company)
        # a Care manager who is not a Sales user runs the campaign, as in production
        cls.care_manager = cls.care_user("wb_utm_care_manager", MANAGER)
        cls.salesman = cls.care_user("wb_utm_salesman", "sales_team.group_sale_salesman")
        cls.campaign = (
            cls.env["winback.campaign"]
            .with_user(cls.care_manager)
            .create(
                {
                    "name": "Spring is back",
                    "company_id": cls.company.id,
                    "holdout_percent": 0,
                    "gesture_type_id": cls.gesture_type.id,
                    "reminder_days": 3,
                    "reminder_offer_value": 15,
                    "opportunity_min_revenue": 1,
                }
            )
        )
        cls.email = cls.env.ref("utm.utm_medium_email")

    def _start(self):
        self._start_campaign(self.campaign.with_user(self.care_manager))
        self.campaign.invalidate_recordset()
        return self.campaign.member_ids.filtered(lambda m: m.state == "contacted")

    def _order(self, partner, code=None, user=None):
        """A quotation of ``partner`` by the salesman, with ``code`` applied through
        sale_loyalty if given."""
        order = (
            self.env["sale.order"]
            .with_user(user or self.salesman)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.company.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": self.product.id,
                                "product_uom_qty": 1,
                                "price_unit": 100,
                                "tax_id": [(6, 0, [])],
                            },
                        )
                    ],
                }
            )
        )
        if code:
            status = order._try_apply_code(code)
            self.assertNotIn("error", status, status)
            for coupon, rewards in status.items():
                result = order._apply_program_reward(rewards[:1], coupon)
                self.assertNotIn("error", result, result)
            self.assertTrue(order.order_line.filtered("coupon_id"), "the coupon is used")
        return order

    def _utm(self, record):
        return {
            "campaign_id": record.campaign_id,
            "source_id": record.source_id,
            "medium_id": record.medium_id,
        }

    def test_utm_of_the_campaign_and_its_steps(self):
        self.assertFalse(self.campaign.utm_campaign_id, "a draft has no UTM campaign yet")
        contacted = self._start()
        self.assertTrue(contacted)
        campaign = self.campaign
        self.assertRecordValues(
            campaign.utm_campaign_id, [{"title": "Spring is back", "company_id": self.company.id}]
        )
        d0, reminder = campaign.utm_d0_source_id, campaign.utm_reminder_source_id
        self.assertTrue(d0 and reminder and d0 != reminder, "a source per email step")
        self.assertIn("Spring is back", d0.name)
        self.assertEqual(campaign._utm_source("d0"), d0, "found, not created again")
        self.assertEqual(campaign._utm_source("reminder"), reminder)
        self.assertEqual(
            campaign._mailing_utm_values("reminder", variant="b"),
            {
                "campaign_id": campaign.utm_campaign_id.id,
                "source_id": reminder.id,
                "medium_id": self.email.id,
            },
        )
        # the opportunities of the campaign carry the UTM of its D0 email
        leads = contacted.sudo().lead_id  # the test reads them whatever the cache holds
        self.assertEqual(len(leads), len(contacted))
        for lead in leads:
            self.assertEqual(
                self._utm(lead),
                {"campaign_id": campaign.utm_campaign_id, "source_id": d0, "medium_id": self.email},
            )
        # the UTM is the campaign's own: not a setting anyone writes
        with self.assertRaises(UserError):
            campaign.with_user(self.care_manager).write({"utm_campaign_id": False})

    def test_draft_utm_follows_the_campaign(self):
        """A draft's step mailings get its UTM on demand; renamed, the UTM follows."""
        draft = self.campaign.with_user(self.care_manager)
        values = draft._mailing_utm_values("d0")
        self.assertEqual(values["campaign_id"], draft.utm_campaign_id.id)
        self.assertEqual(values["source_id"], draft.utm_d0_source_id.id)
        self.assertFalse(draft.utm_reminder_source_id, "only the step asked for")
        draft.write({"name": "Summer is back"})
        self.assertEqual(draft.utm_campaign_id.title, "Summer is back")
        self.assertIn("Summer is back", draft.utm_d0_source_id.name)
        self.assertEqual(draft.copy().utm_campaign_id, self.env["utm.campaign"], "its own")

    def test_order_with_the_coupon_carries_the_utm_and_counts(self):
        contacted = self._start()
        member = contacted[0]
        card = member.gesture_id.sudo().coupon_card_id
        self.assertTrue(card, "a personal coupon per member")
        # a Care manager who is also a Sales user takes the order
        order = self._order(member.partner_id, card.code, user=self.manager)
        self.assertFalse(order.campaign_id, "a quotation is not attributed yet")
        order.with_user(self.manager).action_confirm()
        self.assertEqual(
            self._utm(order),
            {
                "campaign_id": self.campaign.utm_campaign_id,
                "source_id": self.campaign.utm_d0_source_id,
                "medium_id": self.email,
            },
        )
        # the member counts as won back in the campaign's results
        self.campaign.with_user(self.care_manager).action_update_results()
        self.assertRecordValues(
            member, [{"state": "reactivated", "reactivated": True, "first_order_id": order.id}]
        )
        self.assertEqual(self.campaign.reactivated_count, 1)
        # an order without a campaign coupon is not the campaign's
        plain = self._order(contacted[1].partner_id, user=self.manager)
        plain.with_user(self.manager).action_confirm()
        self.assertEqual(
            self._utm(plain),
            {
                "campaign_id": self.env["utm.campaign"],
                "source_id": self.env["utm.source"],
                "medium_id": self.env["utm.medium"],
            },
        )
        # Sales: the analysis groups the orders by the campaign's sources
        action = self.campaign.with_user(self.manager).action_view_utm_orders()
        self.assertEqual(action["res_model"], "sale.report")
        groups = (
            self.env["sale.report"]
            .with_user(self.manager)
            ._read_group(action["domain"], ["source_id"], ["price_subtotal:sum"])
        )
        self.assertEqual(groups, [(self.campaign.utm_d0_source_id, order.amount_untaxed)])
        self.assertEqual(order.amount_untaxed, 90, "the 10 coupon was used")
        self.assertEqual(self.campaign.with_user(self.manager).utm_order_count, 1)

    def test_reminder_coupon_carries_the_reminder_source(self):
        contacted = self._start()
        contacted._write_step({"contact_date": fields.Datetime.now() - timedelta(days=4)})
        self._run_campaign_job()
        member = contacted.filtered("reminder_sent")[:1]
        self.assertTrue(member.reminder_gesture_id, "a reminder offer was sent")
        card = member.reminder_gesture_id.sudo().coupon_card_id
        order = self._order(member.partner_id, card.code)
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(order.campaign_id, self.campaign.utm_campaign_id)
        self.assertEqual(order.source_id, self.campaign.utm_reminder_source_id)
        self.assertEqual(order.medium_id, self.email)

    def test_order_attributed_elsewhere_keeps_its_utm(self):
        contacted = self._start()
        member = contacted[0]
        newsletter = self.env["utm.campaign"].create({"title": "Newsletter"})
        phone = self.env.ref("utm.utm_medium_phone", raise_if_not_found=False) or self.env[
            "utm.medium"
        ].create({"name": "Phone"})
        order = self._order(member.partner_id, member.gesture_id.sudo().coupon_card_id.code)
        order.write({"campaign_id": newsletter.id, "medium_id": phone.id})
        order.with_user(self.salesman).action_confirm()
        self.assertEqual(
            self._utm(order),
            {"campaign_id": newsletter, "source_id": self.env["utm.source"], "medium_id": phone},
        )
        # and one from another win-back campaign's opportunity keeps that campaign
        other = contacted[1]
        from_lead = self._order(other.partner_id, other.gesture_id.sudo().coupon_card_id.code)
        utm_values = self.campaign.copy({"name": "Other"})._lead_utm_values()
        from_lead.write(utm_values)
        from_lead.with_user(self.salesman).action_confirm()
        self.assertEqual(from_lead.campaign_id.id, utm_values["campaign_id"])
        self.assertEqual(from_lead.source_id.id, utm_values["source_id"])

    def test_orders_button_for_sales_users(self):
        """The sales analysis is the Sales app's (sale.report: Sales users): the button
        shows to a Care manager who is a Sales user, not to one who is not."""

        def buttons(user):
            arch = (
                self.env["winback.campaign"]
                .with_user(user)
                .get_views([(False, "form")])["views"]["form"]["arch"]
            )
            return etree.fromstring(arch).xpath("//button[@name='action_view_utm_orders']")

        self.assertTrue(buttons(self.manager), "Care manager and Sales user")
        self.assertFalse(buttons(self.care_manager), "Care manager only")
        self.assertTrue(
            etree.fromstring(
                self.env["winback.campaign"]
                .with_user(self.care_manager)
                .get_views([(False, "form")])["views"]["form"]["arch"]
            ).xpath("//field[@name='utm_campaign_id']"),
            "every Care manager sees the UTM campaign",
        )

    def test_migration_gives_running_campaigns_their_utm(self):
        contacted = self._start()
        # before the upgrade: an order already confirmed with a coupon, and no UTM
        member = contacted[0]
        order = self._order(member.partner_id, member.gesture_id.sudo().coupon_card_id.code)
        order.action_confirm()
        plain = self._order(contacted[1].partner_id)
        plain.action_confirm()
        order.write({"campaign_id": False, "source_id": False, "medium_id": False})
        self.campaign.sudo().write(
            {"utm_campaign_id": False, "utm_d0_source_id": False, "utm_reminder_source_id": False}
        )
        migration = load_migration("winback", "18.0.1.3.0", "post-utm")
        migration.migrate(self.env.cr, "18.0.1.2.0")
        self.campaign.invalidate_recordset()
        self.assertEqual(self.campaign.utm_campaign_id.title, "Spring is back")
        self.assertTrue(self.campaign.utm_d0_source_id and self.campaign.utm_reminder_source_id)
        self.assertEqual(order.campaign_id, self.campaign.utm_campaign_id)
        self.assertEqual(order.source_id, self.campaign.utm_d0_source_id)
        self.assertFalse(plain.campaign_id, "an order without the coupon stays as it is")
        utm = self.campaign.utm_campaign_id
        migration.migrate(self.env.cr, "18.0.1.2.0")
        self.campaign.invalidate_recordset()
        self.assertEqual(self.campaign.utm_campaign_id, utm, "idempotent")

    def test_stamping_costs_the_same_for_one_or_many_orders(self):
        contacted = self._start()
        self.assertGreaterEqual(len(contacted), 4)
        orders = self.env["sale.order"]
        for member in contacted[:4]:
            orders |= self._order(member.partner_id, member.gesture_id.sudo().coupon_card_id.code)
        self.campaign._utm_values("d0")  # the medium's xml id, looked up once per registry

        def queries_for(batch):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            batch._winback_stamp_utm()
            self.env.flush_all()
            count = self.env.cr.sql_log_count - before
            self.assertTrue(0 < count < 20, count)
            self.assertEqual(batch.campaign_id, self.campaign.utm_campaign_id)
            return count

        self.assertEqual(queries_for(orders[:1]), queries_for(orders[1:]))
