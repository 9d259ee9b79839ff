"""Set-based coupon issuance (issue #21): ``loyalty.gesture._care_issue_batch`` writes
exactly what the ORM path (create + ``action_submit``) writes, every stored column of
every row, for 2,000 customers; the campaign's offers go through it."""

from odoo.exceptions import UserError
from odoo.tests import tagged

from . import common
from .row_snapshot import created_rows, diff

CUSTOMERS = 2000
QUIET = {"mail_create_nolog": True, "mail_create_nosubscribe": True, "mail_notrack": True}
# drawn from a sequence or at random: different in each run by nature
CODES = (
    ("loyalty.gesture", "name"),
    ("loyalty.card", "code"),
    ("mail.activity", "res_name"),
    ("satisfaction.request", "access_token"),
    ("mail.message", "message_id"),
    ("mail.mail", "references"),
)


@tagged("post_install", "-at_install")
class TestCouponBulk(common.WinbackCase):
    longMessage = True
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        firms = Partner.create(
            [{"name": f"Bulk Firm {i}", "is_company": True} for i in range(CUSTOMERS // 10)]
        )
        vals = []
        for i in range(CUSTOMERS):
            name = f"Bulk {'Approval ' if i % 50 == 7 else ''}Customer {i}"
            row = {"name": name, "email": f"bulk{i}@example.com", "company_id": cls.company.id}
            if i % 10 == 3:  # a contact of a company: the company is the customer
                row["parent_id"] = firms[i // 10].id
            vals.append(row)
        cls.customers = Partner.create(vals)
        # the charter: a manager approves the offers of some customers
        cls.env["loyalty.gesture.charter"].search([]).action_archive()
        cls.env["loyalty.gesture.charter"].create(
            {
                "name": "Bulk charter",
                "company_id": cls.company.id,
                "rule_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Approval customers",
                            "partner_domain": "[('name', 'ilike', 'Approval')]",
                            "approval_mode": "always",
                        },
                    ),
                    (0, 0, {"name": "Everyone else", "max_value": 60}),
                ],
            }
        )
        cls.company.care_agent_gesture_limit = 50
        cls.company.care_follow_up_days = 7

    def _issuer(self):
        return (
            self.env["loyalty.gesture"]
            .with_user(self.agent)
            .with_company(self.company)
            # the campaign's context, not the test case's (which disables the chatter)
            .with_context(tracking_disable=False, **QUIET)
        )

    def _issue(self, method, partners, value=15, gesture_type=None):
        issuer = self._issuer()
        gestures = getattr(issuer, method)(
            partners.with_env(issuer.env),
            (gesture_type or self.gesture_type).with_env(issuer.env),
            value,
            "Win-back campaign Bulk",
            self.company,
        )
        # what the ORM left to write is written by the campaign's user, as in the cron
        issuer.env.flush_all()
        return gestures

    def _compare(self, partners, **kwargs):
        orm, orm_gestures = created_rows(
            self.env, lambda: self._issue("_care_issue_orm", partners, **kwargs).ids, CODES
        )
        batch, batch_gestures = created_rows(
            self.env, lambda: self._issue("_care_issue_batch", partners, **kwargs).ids, CODES
        )
        self.assertEqual(len(orm_gestures), len(partners))
        self.assertEqual(len(batch_gestures), len(partners))
        self.assertEqual(diff(orm, batch), [], "\n".join(diff(orm, batch)))
        return orm

    def test_same_rows_as_the_orm(self):
        """2,000 customers: every stored column of every row created is the same."""
        rows = self._compare(self.customers)
        gestures = rows["loyalty.gesture"]
        states = [g["state"] for g in gestures]
        self.assertEqual(states.count("to_approve"), CUSTOMERS // 50)
        self.assertEqual(states.count("done"), CUSTOMERS - CUSTOMERS // 50)
        self.assertEqual(len(rows["loyalty.card"]), states.count("done"))
        self.assertIn("satisfaction.request", rows)
        # follow-ups, and the manager's approval requests (notified to them)
        self.assertEqual(len(rows["mail.activity"]), CUSTOMERS)
        self.assertEqual(len(rows["mail.message"]), CUSTOMERS // 50)

    def test_batch_refused_like_the_orm(self):
        """Above the charter's maximum: the same refusal, nothing written."""
        partners = self.customers[:40]
        messages = []
        for method in ("_care_issue_orm", "_care_issue_batch"):
            with self.assertRaises(UserError) as caught:
                created_rows(self.env, lambda m=method: self._issue(m, partners, value=70))
            messages.append(str(caught.exception))
        self.assertEqual(messages[0], messages[1])
        self.assertIn("charter", messages[0])

    def test_other_kinds_and_contexts_take_the_orm_path(self):
        """Not a coupon, or outside a campaign's quiet context: the ORM path, the same rows."""
        letter = self.env["loyalty.gesture.type"].create(
            {"name": "Bulk letter", "category": "attentive", "fulfilment": "letter"}
        )
        self._compare(self.customers[:30], gesture_type=letter, value=0)
        loud = self._issuer().with_context(mail_create_nolog=False)
        gestures = loud._care_issue_batch(
            self.customers[:3].with_env(loud.env),
            self.gesture_type.with_env(loud.env),
            15,
            "Loud",
            self.company,
        )
        self.assertTrue(gestures.message_ids, "the ORM path logs the creation")

    def test_campaign_offers(self):
        """The campaign's D0 offers: one done gesture with its coupon per member, linked."""
        campaign = self.env["winback.campaign"].create(
            {
                "name": "Bulk campaign",
                "company_id": self.company.id,
                "holdout_percent": 0,
                "gesture_type_id": self.gesture_type.id,
                "offer_value": 15,
            }
        )
        partners = self.customers[:300].filtered(lambda p: "Approval" not in p.name)
        members = self.env["winback.campaign.member"].create(
            [
                {"campaign_id": campaign.id, "partner_id": p.id, "company_id": self.company.id}
                for p in partners
            ]
        )
        accepted = campaign.with_user(self.manager)._grant_offers(members)
        self.assertEqual(accepted, members)
        self.assertEqual(members.gesture_id.partner_id, partners)
        for member in members:
            gesture = member.gesture_id
            self.assertEqual(gesture.partner_id, member.partner_id)
            self.assertEqual(gesture.state, "done")
            self.assertEqual(gesture.coupon_card_id.partner_id, member.partner_id)
            self.assertEqual(gesture.coupon_card_id.points, 15)
        activity = members[0].gesture_id.activity_ids
        self.assertEqual(activity.res_name, members[0].gesture_id.name)
        self.assertEqual(len(set(members.gesture_id.coupon_card_id.mapped("code"))), len(members))

    def test_contact_logs_as_create_writes_them(self):
        """The campaign's contact policy and logs, read and inserted in SQL: the refusals
        the partners' records give, and the rows ``create`` writes, column by column."""
        log = self.env["care.contact.log"].with_user(self.agent)
        partners = self.customers[:60]
        partners[1].care_opt_out = True
        partners[2].email = False
        self.env["mail.blacklist"]._add(partners[4].email)
        partners[5].email = partners[4].email.upper()  # blacklisted once normalized
        self.company.write({"care_contact_max": 1, "care_contact_window_days": 30})
        # a customer listed twice: throttled the second time (the cap is one message)
        partners = partners + partners[10]
        refusals = log._contact_refusals(partners, self.company)
        expected = []
        for partner in partners:
            if not partner.email:
                expected.append("no_email")
            elif partner.care_opt_out:
                expected.append("opt_out")
            elif partner.is_blacklisted:
                expected.append("blacklisted")
            else:
                expected.append(False)
        expected[-1] = "throttled"
        self.assertEqual(refusals, expected)
        self.assertEqual(
            refusals[1:6], ["opt_out", "no_email", False, "blacklisted", "blacklisted"]
        )

        def orm(records):
            # what _log_contacts created through the ORM before it was set-based
            log.sudo().create(
                [
                    {
                        "partner_id": partner.commercial_partner_id.id,
                        "company_id": self.company.id,
                        "kind": "winback",
                        "state": "skipped" if refusal else "sent",
                        "skip_reason": refusal or False,
                        "res_model": records[index]._name if records else False,
                        "res_id": records[index].id if records else False,
                    }
                    for index, (partner, refusal) in enumerate(zip(partners, refusals, strict=True))
                ]
            )

        for records in (partners, None):
            created, _result = created_rows(self.env, lambda r=records: orm(r))
            inserted, sendable = created_rows(
                self.env,
                lambda r=records: log._log_contacts(
                    partners, "winback", records=r, company=self.company, refusals=refusals
                ),
            )
            self.assertEqual(len(inserted["care.contact.log"]), len(partners))
            self.assertEqual(diff(created, inserted), [], "\n".join(diff(created, inserted)))
            self.assertEqual(sendable, [not refusal for refusal in refusals])
