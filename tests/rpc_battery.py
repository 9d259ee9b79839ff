"""Tools of the RPC battery (tests/test_rpc_battery.py): a JSON-RPC client per user,
hostile values per field type, the suite's models, fields and buttons found by
enumeration, and the tally of calls.

No test here: pytest collects ``test_*.py`` only.
"""

import json
import math
import re
from collections import Counter, defaultdict

from lxml import etree

from odoo.tests.common import TEST_CURSOR_COOKIE_NAME, Opener

CARE_MODULES = ("loyalty_gesture", "satisfaction_survey", "winback")
# What a refused call may raise: a clear message for the user, nothing technical.
CLEAR_ERRORS = {
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.AccessError",
    "odoo.exceptions.MissingError",
    "odoo.exceptions.RedirectWarning",
}
# Fields Odoo's own mechanisms write (chatter, activities, followers) or that no
# client sets; the battery leaves them to Odoo's own tests.
SKIPPED_FIELDS = {
    "id",
    "display_name",
    "create_uid",
    "create_date",
    "write_uid",
    "write_date",
    "__last_update",
}
SKIPPED_PREFIXES = ("message_", "activity_", "website_message", "rating_", "has_message")
# Names of other models, for fields holding a model name (res_model).
FOREIGN_MODEL_NAMES = (
    "helpdesk.ticket",
    "account.move",
    "res.users",
    "ir.config_parameter",
    "not.a.model",
)
NONEXISTENT_ID = 999_999_999


def care_fields(model, own):
    """The fields of ``model`` a client may send: all of the suite's own models, the
    ones the suite adds to Odoo's models (``own`` is then the set of their names)."""
    result = []
    for name, field in model._fields.items():
        if name in SKIPPED_FIELDS or name.startswith(SKIPPED_PREFIXES):
            continue
        if own is not None and name not in own:
            continue
        if field.type in ("binary", "properties", "properties_definition", "json"):
            continue
        if not field.store and not field.inverse and not field.related:
            continue  # ignored by the ORM on write
        result.append(field)
    return result


def hostile_values(field, foreign):
    """Hostile values for ``field``, most telling first.

    ``foreign(comodel)`` gives the id of a record of another company (or None).
    """
    kind = field.type
    if kind in ("integer", "float", "monetary"):
        if field.name == "res_id" or kind == "many2one_reference":
            return []  # sent together with res_model, see reference_values()
        return [1e6, 0, -1, 1e15, "NaN"]
    if kind == "many2one_reference":
        return []
    if kind in ("char", "text", "html"):
        if field.name.endswith("model"):
            return list(FOREIGN_MODEL_NAMES)
        if "domain" in field.name:
            return ["[('company_id', '!=', False)] + __import__('os').listdir('/')"]
        return ["<img src=x onerror=alert(1)>" + "x" * 300]
    if kind == "boolean":
        return [True, False]
    if kind == "selection":
        options = field.selection if isinstance(field.selection, list) else []
        return [key for key, _label in options][::-1][:3]
    if kind in ("date", "datetime"):
        return ["2000-01-01", "2999-12-31"] if kind == "date" else ["2000-01-01 00:00:00"]
    if kind == "many2one":
        values = []
        other = foreign(field.comodel_name)
        if other:
            values.append(other)
        return values + [NONEXISTENT_ID]
    if kind in ("many2many", "one2many"):
        other = foreign(field.comodel_name)
        return [[(4, other)]] if other else [[(6, 0, [NONEXISTENT_ID])]]
    return []


def is_absurd(value):
    """A number nobody means, stored as is (NaN, infinite, beyond any care amount)."""
    return isinstance(value, float) and (not math.isfinite(value) or abs(value) >= 1e14)


def suite_models(env):
    """(own, extended): the suite's own models, and Odoo's models it adds fields to
    (with those fields' names), from ir.model and ir.model.fields."""
    own, extended = [], defaultdict(set)
    for ir_model in env["ir.model"].search([], order="model"):
        modules = set((ir_model.modules or "").replace(" ", "").split(","))
        if not modules & set(CARE_MODULES) or ir_model.model not in env:
            continue
        model = env[ir_model.model]
        if model._abstract:
            continue
        if model._original_module in CARE_MODULES:
            own.append(ir_model.model)
    for ir_field in env["ir.model.fields"].search([]):
        modules = set((ir_field.modules or "").replace(" ", "").split(","))
        if (
            modules & set(CARE_MODULES)
            and ir_field.model in env
            and env[ir_field.model]._original_module not in CARE_MODULES
            and not env[ir_field.model]._abstract
        ):
            extended[ir_field.model].add(ir_field.name)
    return own, dict(extended)


def suite_buttons(env, model_names):
    """Public ``action_*`` methods the suite defines, and object buttons of its views."""
    methods = defaultdict(set)
    for name in model_names:
        for cls in type(env[name]).__mro__:
            module = cls.__module__ or ""
            if not any(module.startswith(f"odoo.addons.{m}.") for m in CARE_MODULES):
                continue
            for attr, value in vars(cls).items():
                if attr.startswith("action_") and callable(value):
                    methods[name].add(attr)
    data = env["ir.model.data"].search(
        [("module", "in", CARE_MODULES), ("model", "=", "ir.ui.view")]
    )
    for view in env["ir.ui.view"].browse(data.mapped("res_id")).exists():
        if view.model not in model_names or not view.arch_db:
            continue
        for button in etree.fromstring(view.arch_db.encode()).iter("button"):
            name = button.get("name") or ""
            if button.get("type") == "object" and name and not name.startswith("_"):
                if hasattr(env[view.model], name):
                    methods[view.model].add(name)
    return {model: sorted(names) for model, names in methods.items()}


def button_args(model, method, record_id):
    """Arguments of a button call: the ids, except for ``@api.model`` methods."""
    function = getattr(type(model), method, None)
    return [] if getattr(function, "_api", None) == "model" else [[record_id]]


def named_ids(args):
    """The integers an attacker put in a call (ids they named)."""
    return {int(n) for n in re.findall(r"\d+", json.dumps(args, default=str))}


class RpcUser:
    """One real user logged in through /web/session/authenticate, calling
    /web/dataset/call_kw with their session cookie."""

    def __init__(self, case, role, login, password):
        self.case, self.role = case, role
        self.opener = Opener(case.cr)
        self.opener.cookies[TEST_CURSOR_COOKIE_NAME] = case.opener.cookies[TEST_CURSOR_COOKIE_NAME]
        response = self._post(
            "/web/session/authenticate",
            {"db": case.env.cr.dbname, "login": login, "password": password},
        )
        body = response.json()
        assert "result" in body and body["result"].get("uid"), (role, body)
        self.uid = body["result"]["uid"]

    def _post(self, path, params):
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}
        return self.opener.post(
            self.case.base_url() + path,
            data=json.dumps(payload, default=str),
            headers={"Content-Type": "application/json"},
            timeout=60,
        )

    def call(self, model, method, args, kwargs=None):
        """(outcome, detail, text): outcome is accepted, refused or error."""
        response = self._post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        )
        if response.status_code != 200:
            return "error", f"HTTP {response.status_code}", response.text
        body = response.json()
        if "error" in body:
            data = body["error"].get("data") or {}
            name = data.get("name", "?")
            if name in CLEAR_ERRORS:
                return "refused", name, response.text
            message = (data.get("message") or "").splitlines()[:1]
            return "error", f"{name}: {message[0] if message else ''}"[:200], response.text
        return "accepted", body.get("result"), response.text


class Tally:
    """Calls, refused, accepted and violations, by role; violations one line each."""

    def __init__(self):
        self.counts = defaultdict(Counter)
        self.violations = {}
        self.timing = Counter()
        self.per_model = Counter()

    def count(self, role, outcome):
        self.counts[role]["calls"] += 1
        self.counts[role]["refused" if outcome != "accepted" else "accepted"] += 1

    def violation(self, role, where, kind, detail):
        key = (role, where, kind)
        if key not in self.violations:
            self.violations[key] = str(detail)[:240]
            self.counts[role]["violations"] += 1

    def lines(self):
        return [
            f"VIOLATION [{role}] {where} -- {kind}: {detail}"
            for (role, where, kind), detail in sorted(self.violations.items())
        ]

    def summary(self):
        total = Counter()
        rows = []
        for role, counts in sorted(self.counts.items()):
            total.update(counts)
            rows.append(f"  {role}: " + ", ".join(f"{k}={counts[k]}" for k in KEYS))
        rows.append("  total: " + ", ".join(f"{k}={total[k]}" for k in KEYS))
        return rows


KEYS = ("calls", "refused", "accepted", "violations")
