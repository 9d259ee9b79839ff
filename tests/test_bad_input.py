"""Bad input, property-based (hypothesis, capped): gesture, charter rule and campaign values.

Every value either is stored and valid, or is refused with a clear
``ValidationError``/``UserError`` (database constraint violations are shown as the
constraint's message, the way Odoo's RPC layer shows them to the user), and nothing is
half-written. CSV import of gestures (``load()``, as the importer calls it) with bad
rows, by a user working in French: French messages, no row written.
"""

import math
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg2 import IntegrityError

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.exceptions import UserError, ValidationError
from odoo.service.model import _as_validation_error
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

INT_MAX = 2**31 - 1
AMOUNT_MAX = 1e12
MAX_DAYS = 3650  # a campaign's delays and windows (ten years; beyond, dates overflow)

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**13), 10**13),
    st.sampled_from([0, -0.0, -1, -0.01, 1e-9, 100, 100.01, 2**31, 2**31 - 1, 2**63, 1e12, 1e308]),
)
INTEGERS = st.one_of(
    st.integers(-(10**13), 10**13),
    st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, -(2**31), 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
)


def capped(examples):
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )


def finite(value):
    try:
        return math.isfinite(float(value))
    except (OverflowError, ValueError):
        return False


@tagged("post_install", "-at_install")
class TestBadValues(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Bad Input Customer"})
        cls.gesture_type = cls.env["loyalty.gesture.type"].create(
            {"name": "Bad input voucher", "default_value": 10, "max_value": 100}
        )
        cls.charter = cls.env["loyalty.gesture.charter"].search(
            [("company_id", "=", cls.env.company.id)], limit=1
        ) or cls.env["loyalty.gesture.charter"].create({"name": "Bad input charter"})

    def setUp(self):
        super().setUp()
        self.stats = Counter()

    def attempt(self, model, vals):
        """``("ok", record)`` or ``("clear", message)``; anything else fails the test."""
        Model = self.env[model]
        before = Model.search_count([])
        try:
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint():
                record = Model.create(vals)
                record.flush_recordset()
                return "ok", record
        except IntegrityError as exc:
            error = _as_validation_error(self.env, exc)
        except (UserError, ValidationError) as exc:
            error = exc
        self.assertEqual(Model.search_count([]), before, "nothing half-written")
        message = str(error.args[0])
        self.assertNotIn("Traceback", message)
        self.assertTrue(message.strip(), "a message the user can read")
        return "clear", message

    def check(self, model, vals, field, value, low, high, kind):
        outcome, result = self.attempt(model, dict(vals, **{field: value}))
        self.stats["accepted (valid)" if outcome == "ok" else "refused (clear error)"] += 1
        clearly_bad = not finite(value) or float(value) < low - 0.01 or float(value) > high + 0.01
        if kind == "integer" and finite(value):
            clearly_bad = clearly_bad or int(float(value)) < low or int(float(value)) > high
        clearly_good = finite(value) and low <= float(value) <= high - 0.01
        if kind == "integer":
            clearly_good = clearly_good and float(value) == int(float(value))
        if outcome == "ok":
            self.assertFalse(clearly_bad, (model, field, value))
            stored = result[field]
            self.assertTrue(math.isfinite(stored) and low - 0.01 <= stored <= high + 0.01)
        else:
            self.assertFalse(clearly_good, (model, field, value, result))

    def test_gesture_values(self):
        @capped(150)
        @given(value=NUMBERS)
        def check(value):
            self.check(
                "loyalty.gesture",
                {"partner_id": self.customer.id, "type_id": self.gesture_type.id},
                "value",
                value,
                0,
                100,
                "monetary",
            )

        check()
        print(f"\nbad input [gesture values]: {dict(self.stats)}")

    def test_charter_rule_values(self):
        fields_ranges = {
            "max_value": (0, AMOUNT_MAX, "monetary"),
            "approval_above": (0, AMOUNT_MAX, "monetary"),
            "cap_value": (0, AMOUNT_MAX, "monetary"),
            "cap_count": (0, INT_MAX, "integer"),
            "min_days_between": (0, INT_MAX, "integer"),
            "seniority_min_months": (0, INT_MAX, "integer"),
            "reactivity_min": (0, 100, "float"),
            "reactivity_max": (0, 100, "float"),
        }

        @capped(200)
        @given(field=st.sampled_from(sorted(fields_ranges)), data=st.data())
        def check(field, data):
            low, high, kind = fields_ranges[field]
            value = data.draw(INTEGERS if kind == "integer" else NUMBERS)
            self.check(
                "loyalty.gesture.charter.rule",
                {"charter_id": self.charter.id, "name": "Bad input rule"},
                field,
                value,
                low,
                high,
                kind,
            )

        check()
        print(f"\nbad input [charter rule values]: {dict(self.stats)}")

    def test_campaign_values(self):
        fields_ranges = {
            "holdout_percent": (0, 100, "float"),
            "budget": (0, AMOUNT_MAX, "monetary"),
            "offer_value": (0, AMOUNT_MAX, "monetary"),
            "contact_cost": (0, AMOUNT_MAX, "monetary"),
            "min_revenue": (0, AMOUNT_MAX, "monetary"),
            "min_orders": (1, INT_MAX, "integer"),
            "call_delay_days": (0, MAX_DAYS, "integer"),
            "window_days": (1, MAX_DAYS, "integer"),
            "relapse_days": (1, MAX_DAYS, "integer"),
            "reminder_days": (0, MAX_DAYS, "integer"),
            "reminder_offer_value": (0, AMOUNT_MAX, "monetary"),
        }

        @capped(200)
        @given(field=st.sampled_from(sorted(fields_ranges)), data=st.data())
        def check(field, data):
            low, high, kind = fields_ranges[field]
            value = data.draw(INTEGERS if kind == "integer" else NUMBERS)
            self.check(
                "winback.campaign", {"name": "Bad input campaign"}, field, value, low, high, kind
            )

        check()
        print(f"\nbad input [campaign values]: {dict(self.stats)}")


@tagged("post_install", "-at_install")
class TestGestureImport(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.manager = mail_new_test_user(
            cls.env,
            login="bad_input_manager_fr",
            groups="loyalty_gesture.group_care_manager",
            lang="fr_FR",
        )
        cls.customer = cls.env["res.partner"].create({"name": "Client Import"})
        cls.gesture_type = cls.env["loyalty.gesture.type"].create(
            {"name": "Bon import", "default_value": 10, "max_value": 100}
        )
        cls.fields = ["partner_id", "type_id", "value", "reason"]

    def load(self, rows, lang="fr_FR"):
        # as the web client calls the importer: the user's language in the context
        gestures = self.env["loyalty.gesture"].with_user(self.manager).with_context(lang=lang)
        with mute_logger("odoo.sql_db", "odoo.models"):
            return gestures.load(self.fields, rows)

    def imported(self):
        return self.env["loyalty.gesture"].search_count([("reason", "like", "Import test")])

    def test_bad_rows_import_nothing_with_french_messages(self):
        good = [self.customer.name, self.gesture_type.name, "20", "Import test good"]
        bad_rows = [
            [self.customer.name, self.gesture_type.name, "nan", "Import test NaN"],
            [self.customer.name, self.gesture_type.name, "inf", "Import test inf"],
            [self.customer.name, self.gesture_type.name, "1e400", "Import test huge"],
            [self.customer.name, self.gesture_type.name, "abc", "Import test text"],
            [self.customer.name, self.gesture_type.name, "5000", "Import test above max"],
            [self.customer.name, self.gesture_type.name, "-5", "Import test negative"],
            ["Nobody at all", self.gesture_type.name, "10", "Import test unknown customer"],
            [self.customer.name, "No such type", "10", "Import test unknown type"],
        ]
        figures = Counter()
        for bad in bad_rows:
            result = self.load([good, bad, good])
            errors = [m for m in result["messages"] if m["type"] == "error"]
            figures["files"] += 1
            figures["rows"] += 3
            self.assertFalse(result["ids"], bad)
            self.assertTrue(errors, bad)
            self.assertEqual(self.imported(), 0, f"no row written: {bad}")
            english = self.load([good, bad, good], lang="en_US")["messages"]
            for message, message_en in zip(errors, english, strict=False):
                text = message["message"]
                figures["messages"] += 1
                self.assertNotIn("Traceback", text)
                self.assertNotIn("Unknown error", text)
                if text != message_en["message"]:
                    figures["French messages"] += 1
            self.assertTrue(
                any(m["message"] != e["message"] for m, e in zip(errors, english, strict=False)),
                f"the messages are in the user's language: {errors}",
            )
        # the good rows alone import fine: the file was refused for its bad row only
        result = self.load([good, good])
        self.assertEqual(len(result["ids"] or []), 2, result["messages"])
        print(f"\nbad input [gesture CSV import]: {dict(figures)}, rows written=0")
