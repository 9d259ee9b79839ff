"""The RPC battery: the suite attacked the way a client would, through the real JSON-RPC.

Real users log in through ``/web/session/authenticate`` and call
``/web/dataset/call_kw/<model>/<method>`` with their session cookie: an agent and a Care
manager of company A, a portal user, an agent of company B; the public visitor only
through the public survey answer routes. The models and fields come from enumeration,
not from a list: every model of the suite (``ir.model`` of loyalty_gesture,
satisfaction_survey, winback) and every field the suite adds to Odoo's models
(``ir.model.fields``), written and created with hostile values per field type; every
``action_*`` method and object button the suite defines, called on a record in each
of its states. Each attempt runs in a savepoint rolled back afterwards.

After each call, read as superuser in the database:

- no server error: a JSON-RPC error must be a UserError, ValidationError, AccessError or
  MissingError (psycopg2 errors, KeyError, TypeError, HTTP 500 are violations);
- nothing of another company or another model read: the response carries no secret of a
  record the user may not read (names of company B's records, of records outside the
  user's rights, answers of surveys that are not the user's);
- nothing of another company changed: the rows of the other company are byte for byte
  the same (``md5`` of each row);
- no customer value beyond the charter: a gesture granted (approved, done, followed up)
  is worth at most its type's maximum, above the agent limit only with the approval of
  another manager, a gift never for nothing; points, coupons and credit notes issued
  are worth at most the gesture's checked value (a point is worth what the program's
  reward gives for it);
- no client value where the server decides: an accepted write never stores a field the
  form keeps read-only, a figure the server derives (a gesture's points, cost, points
  spent), a link to a record of another company, a model name outside the suite's
  sources, or a number nobody means (NaN, 1e15).

Sampled to stay within 5 minutes: every field gets one hostile value per role; on the
models whose buttons move a record towards the customer, their main attacker (the agent
where agents write, else the manager) sends big and zero amounts to every record of the
initial state (a gesture of each fulfilment) and, on the first, one of negative, huge
and NaN; past
the initial state only amounts and links are sent; the other company's agent and the
portal user send links only; a role without the right to write a model at all is
sampled out after three AccessErrors; an accepted create or write of an amount, a link,
a choice or a flag is read back as the user and followed by the buttons that move the
record towards the customer (submit, send, start, grant, confirm, run); every button is
pressed once per state. Each attempt is rolled back (a savepoint around the call: the
HTTP server shares the test's cursor); the invariants are checked after each accepted
call (a refused one was rolled back by the server).

Out of scope (Odoo's own rights, tested by Odoo): what Odoo's groups grant on Odoo's
models, e.g. a Sales user writing loyalty cards or programs, an Accounting user writing
credit notes, a Survey manager reading every survey answer (Care managers are Survey
managers on purpose), Settings users writing company settings.
"""

import math
import os
import time
from contextlib import closing

import rpc_battery as battery

from odoo import fields
from odoo.addons.loyalty_gesture.tests import common as gesture_common
from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

BUDGET_SECONDS = 300
# While developing: CARE_BATTERY_ROLES=agent CARE_BATTERY_MODELS=loyalty.gesture
ROLES = os.environ.get("CARE_BATTERY_ROLES", "agent,manager,agent_b,portal").split(",")
ONLY_MODELS = set(filter(None, os.environ.get("CARE_BATTERY_MODELS", "").split(",")))
TRACE = bool(os.environ.get("CARE_BATTERY_TRACE"))
# Sources a satisfaction request may point to (ticket, order, invoice, gesture, partner).
SOURCE_MODELS = {"helpdesk.ticket", "sale.order", "account.move", "loyalty.gesture", "res.partner"}
# Figures the server derives from the checked value: a client never sets them.
DERIVED = {"loyalty.gesture": {"points", "cost", "points_spent"}}
GRANTED = ("approved", "done", "followed_up")
# Buttons pressed after each accepted create or write on a record of the initial state:
# those that move it towards the customer (every button is pressed once per state).
FORWARD_WORDS = ("submit", "send", "start", "grant", "confirm", "run")
INITIAL_STATES = ("", "draft", "pending")
NUMBERS = ("integer", "float", "monetary")
LINKS = ("many2one", "many2many", "one2many")
# Fields whose hostile write is read back as the user (what could show foreign data) and
# followed by the buttons (what could reach the customer).
TELLING = NUMBERS + LINKS + ("selection", "boolean")
# Tables snapshot for "nothing of another company changed".
COMPANY_TABLES = ("res_partner", "helpdesk_ticket", "sale_order", "loyalty_card", "account_move")


@tagged("post_install", "-at_install")
class TestRpcBattery(HttpCase, gesture_common.GestureCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company.care_agent_gesture_limit = 50
        cls.agent_b = mail_new_test_user(
            env,
            login="battery_agent_b",
            groups="loyalty_gesture.group_care_agent",
            company_id=cls.company_b.id,
            company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.portal = mail_new_test_user(env, login="battery_portal", groups="base.group_portal")
        cls.logins = {
            "agent": (cls.agent, "care_agent"),
            "manager": (cls.manager, "care_manager"),
            "portal": (cls.portal, "battery_portal"),
            "agent_b": (cls.agent_b, "battery_agent_b"),
        }
        cls.role_company = {
            "agent": cls.company,
            "manager": cls.company,
            "portal": cls.company,
            "agent_b": cls.company_b,
            "public": cls.company,
        }
        cls._setup_company_b()
        cls._setup_company_a()
        cls._setup_survey_answers()
        env.flush_all()

    # --- Fixtures ---

    @classmethod
    def _setup_company_b(cls):
        env, b = cls.env, cls.company_b
        cls.partner_b = env["res.partner"].create(
            {"name": "Bernadette ZZSECRET-B-PARTNER", "email": "b@example.com", "company_id": b.id}
        )
        cls.ticket_b = env["helpdesk.ticket"].create(
            {
                "name": "ZZSECRET-B-TICKET",
                "description": "Company B's ticket",
                "partner_id": cls.partner_b.id,
                "company_id": b.id,
            }
        )
        gestures = env["loyalty.gesture"].with_company(b)
        cls.gesture_b = gestures.create(
            {
                "partner_id": cls.partner_b.id,
                "type_id": cls.type_coupon.id,
                "company_id": b.id,
                "value": 10,
                "reason": "ZZSECRET-B-GESTURE",
            }
        )
        cls.gesture_b_done = gestures.create(
            {
                "partner_id": cls.partner_b.id,
                "type_id": cls.type_coupon.id,
                "company_id": b.id,
                "value": 10,
                "reason": "ZZSECRET-B-GESTURE",
            }
        )
        cls.gesture_b_done.action_submit()
        cls.request_b = cls._request(b, cls.partner_b, "helpdesk.ticket", cls.ticket_b.id)
        cls.campaign_b = env["winback.campaign"].create(
            {"name": "ZZSECRET-B-CAMPAIGN", "company_id": b.id, "gesture_type_id": False}
        )

    @classmethod
    def _setup_company_a(cls):
        """A gesture in each state, requests, a campaign, records agents may not read."""
        env = cls.env
        cls.customer.email = "claire.martin@example.com"
        cls.points_card(100.0)
        invoice = cls.make_invoice(300.0)
        cls.secret_invoice = invoice
        gestures = {}
        for state in ("draft", "to_approve", "approved", "done", "followed_up", "refused"):
            gestures[state] = cls._gesture(
                cls.type_coupon, 80 if state in ("to_approve", "refused") else 20
            )
        agent_env = env(user=cls.agent)
        gestures["to_approve"].with_env(agent_env).action_submit()
        gestures["refused"].with_env(agent_env).action_submit()
        gestures["refused"].with_user(cls.manager).action_refuse()
        gestures["approved"]._set_state("approved", approved_by_id=cls.manager.id)
        gestures["done"].with_env(agent_env).action_submit()
        gestures["followed_up"].with_env(agent_env).action_submit()
        gestures["followed_up"].with_env(agent_env).action_follow_up()
        gestures["cancelled"] = cls._gesture(cls.type_points, 10)
        gestures["cancelled"].with_env(agent_env).action_submit()
        gestures["cancelled"].with_env(agent_env).action_cancel()
        gestures["points"] = cls._gesture(cls.type_points, 10)
        gestures["gift"] = cls._gesture(cls.type_gift, 12)
        gestures["refund"] = cls._gesture(
            cls.type_refund, 30, invoice_id=cls.make_invoice(200.0).id
        )
        cls.gestures = gestures
        for state in ("answered", "expired", "skipped", "sent", "pending"):
            request = cls._request(cls.company, cls.customer, False, False)
            request.write({"state": state, "sent_date": fields.Datetime.now()})
        cls.campaign = env["winback.campaign"].create(
            {"name": "Battery campaign", "gesture_type_id": cls.type_coupon.id}
        )
        cls.secret_lead = env["crm.lead"].create(
            {"name": "ZZSECRET-A-LEAD", "company_id": cls.company.id}
        )

    @classmethod
    def _gesture(cls, gesture_type, value, **values):
        return (
            cls.env["loyalty.gesture"]
            .with_user(cls.agent)
            .create(
                dict(
                    {"partner_id": cls.customer.id, "type_id": gesture_type.id, "value": value},
                    **values,
                )
            )
            .sudo()
        )

    @classmethod
    def _request(cls, company, partner, res_model, res_id):
        return cls.env["satisfaction.request"].create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "survey_id": cls.env.ref("satisfaction_survey.survey_csat").id,
                "res_model": res_model,
                "res_id": res_id,
            }
        )

    @classmethod
    def _setup_survey_answers(cls):
        """Answers of a satisfaction survey in each company, and of an HR survey."""
        env = cls.env
        for request, secret in ((cls.request_b, "zzsecret-b-answer"),):
            request.write({"state": "sent", "sent_date": fields.Datetime.now()})
            request.expiry_date = fields.Datetime.add(fields.Datetime.now(), days=30)
            request._record_answer(2, "ZZSECRET-B-COMMENT")
            request.user_input_id.email = f"{secret}@example.com"
            request.expiry_date = fields.Datetime.subtract(fields.Datetime.now(), days=1)
        hr_survey = env["survey.survey"].create({"title": "Yearly appraisal"})
        cls.hr_input = hr_survey._create_answer(partner=cls.customer, check_attempts=False)
        cls.hr_input.email = "zzsecret-hr-answer@example.com"

    # --- Set up of each test: users, snapshots, secrets ---

    def setUp(self):
        super().setUp()
        self.tally = battery.Tally()
        self.started = time.monotonic()
        self.users = {
            role: battery.RpcUser(self, role, user.login, password)
            for role, (user, password) in self.logins.items()
        }
        for role in self.users:
            self.tally.count(role, "accepted")  # the login itself
        self.own, self.extended = battery.suite_models(self.env)
        all_models = self.own + sorted(self.extended)
        self.buttons = battery.suite_buttons(self.env, all_models)
        self.secrets = self._secrets()
        self._base, self._base_stored, self._last_error = {}, {}, None
        self.baseline = self._snapshot()

    def _secrets(self):
        """Per role, the strings a response must never carry."""
        records = [
            (self.partner_b, "ZZSECRET-B-PARTNER"),
            (self.ticket_b, "ZZSECRET-B-TICKET"),
            (self.gesture_b, "ZZSECRET-B-GESTURE"),
            (self.campaign_b, "ZZSECRET-B-CAMPAIGN"),
            (self.request_b, "ZZSECRET-B-COMMENT"),
            (self.secret_lead, "ZZSECRET-A-LEAD"),
            (self.secret_invoice, self.secret_invoice.name),
        ]
        answers = [
            (self.hr_input, None, "zzsecret-hr-answer"),
            (self.request_b.user_input_id, self.company_b, "zzsecret-b-answer"),
        ]
        secrets = {}
        for role, (user, _password) in self.logins.items():
            user_env = self.env(user=user, context={})
            forbidden = {
                s
                for record, s in records
                if not user_env[record._name].browse(record.id).has_access("read")
            }
            survey_user = user.has_group("survey.group_survey_user")
            for _answer, company, secret in answers:
                if not survey_user and (company is None or company not in user.company_ids):
                    forbidden.add(secret)
            secrets[role] = forbidden
        self.secret_ids = {s: record.id for record, s in records}
        self.secret_ids.update({s: answer.id for answer, _company, s in answers})
        return secrets

    def _snapshot(self, companies=None):
        """What the invariants compare to: rows per company (of ``companies``, else
        all), ledgers, gestures."""
        cr = self.env.cr
        self.env.flush_all()
        company_ids = list(companies.ids) if companies else [self.company.id, self.company_b.id]
        tables = [
            self.env[m]._table
            for m in self.own
            if self.env[m]._auto
            and "company_id" in self.env[m]._fields
            and self.env[m]._fields["company_id"].store
        ]
        queries = [
            SQL(
                "SELECT %s, t.id, t.company_id, md5(t::text) FROM %s t WHERE t.company_id = ANY(%s)",
                table,
                SQL.identifier(table),
                company_ids,
            )
            for table in tables + list(COMPANY_TABLES)
        ]
        cr.execute(SQL(" UNION ALL ").join(queries))
        rows = {(table, rid): (company, digest) for table, rid, company, digest in cr.fetchall()}
        cr.execute(
            SQL(
                "SELECT (SELECT COALESCE(MAX(id), 0) FROM loyalty_history),"
                " (SELECT COALESCE(MAX(id), 0) FROM loyalty_card),"
                " (SELECT COALESCE(MAX(id), 0) FROM account_move)"
            )
        )
        history, card, move = cr.fetchone()
        cr.execute(SQL("SELECT id, state, value, approved_by_id FROM loyalty_gesture"))
        gestures = {row[0]: row[1:] for row in cr.fetchall()}
        return {"rows": rows, "history": history, "card": card, "move": move, "gestures": gestures}

    # --- One call and its invariants ---

    def _call(self, role, model, method, args, kwargs=None, where=None, secrets=None):
        """Call as ``role``, count it, check the invariants; return (outcome, result)."""
        where = where or f"{model}.{method}"
        started = time.monotonic()
        outcome, detail, text = self.users[role].call(model, method, args, kwargs)
        self.tally.timing[model] += time.monotonic() - started
        self.tally.per_model[model] += 1
        self._last_error = detail if outcome == "refused" else None
        if TRACE:
            print(f"  {role} {where}: {outcome} {str(detail)[:120]}")
        self.env.invalidate_all()
        self.tally.count(role, outcome)
        if outcome == "error":
            self.tally.violation(role, where, "server error", detail)
        # a refusal may name the record the caller named (Odoo's company check does)
        named = battery.named_ids(args) if outcome != "accepted" else set()
        for secret in self.secrets[role] if secrets is None else secrets:
            if self.secret_ids.get(secret) in named:
                continue
            if secret and secret.lower() in text.lower():
                self.tally.violation(role, where, "reads what the user may not read", secret)
        # a refused call was rolled back by the server, a read changes nothing
        if outcome == "accepted" and method not in ("read", "search_read"):
            started = time.monotonic()
            self._check_invariants(role, where)
            self.tally.timing["(invariants)"] += time.monotonic() - started
        return outcome, detail

    def _check_invariants(self, role, where):
        own_company = self.role_company[role]
        foreign = self.company | self.company_b
        if role != "portal":
            foreign -= own_company
        now = self._snapshot(foreign)
        violation = self.tally.violation
        for key, (company, digest) in self.baseline["rows"].items():
            if company in foreign.ids:
                if now["rows"].get(key, (None, None))[1] != digest:
                    violation(role, where, "changes another company's record", key)
        env = self.env
        Gesture = env["loyalty.gesture"]
        for gesture_id, (state, value, approved_by) in now["gestures"].items():
            if self.baseline["gestures"].get(gesture_id) == (state, value, approved_by):
                continue
            if state not in GRANTED:
                continue
            gesture = Gesture.browse(gesture_id)
            self._check_granted_gesture(role, where, gesture)
        histories = env["loyalty.history"].search(
            [("id", ">", self.baseline["history"]), ("order_model", "=", Gesture._name)]
        )
        for history in histories.filtered(lambda h: h.issued > 0):
            gesture = Gesture.browse(history.order_id)
            if gesture.state == "cancelled":
                if history.issued > gesture.points_spent + 0.01:
                    violation(role, where, "points given back beyond those spent", gesture.name)
            else:
                worth = history.issued * self._point_worth(history.card_id.program_id)
                if worth > gesture.value + 0.01:
                    violation(
                        role,
                        where,
                        "points worth more than the gesture's checked value",
                        f"{history.issued:g} points worth {worth:g} for a value of {gesture.value:g}",
                    )
        cards = env["loyalty.card"].search([("id", ">", self.baseline["card"])])
        for card in cards:
            gesture = Gesture.search([("coupon_card_id", "=", card.id)], limit=1)
            worth = self._coupon_worth(card)
            if gesture and worth > gesture.value + 0.01 and gesture.fulfilment != "free_delivery":
                violation(
                    role,
                    where,
                    "coupon worth more than the gesture's checked value",
                    f"{worth:g} for a value of {gesture.value:g}",
                )
        refunds = env["account.move"].search(
            [("id", ">", self.baseline["move"]), ("move_type", "=", "out_refund")]
        )
        for refund in refunds:
            gesture = Gesture.search([("refund_move_id", "=", refund.id)], limit=1)
            if gesture and refund.amount_total > gesture.value + 0.01:
                violation(role, where, "credit note beyond a gesture's value", refund.amount_total)

    def _check_granted_gesture(self, role, where, gesture):
        violation = self.tally.violation
        gesture_type = gesture.type_id
        if gesture_type.max_value and gesture.value > gesture_type.max_value + 0.001:
            violation(role, where, "gesture above its type's maximum", gesture.value)
        if gesture.fulfilment == "gift" and gesture.value <= 0:
            violation(role, where, "gift granted for a value of 0", gesture.type_id.name)
        if gesture.fulfilment == "points" and gesture.points_history_id:
            worth = gesture.points_history_id.issued * self._point_worth(
                gesture.company_id._care_points_program()
            )
            if worth > gesture.value + 0.01:
                violation(role, where, "points worth more than the gesture's checked value", worth)
        limit = gesture.company_id.care_agent_gesture_limit
        approver = gesture.approved_by_id
        offer = self.env["winback.campaign.member"].search_count(
            ["|", ("gesture_id", "=", gesture.id), ("reminder_gesture_id", "=", gesture.id)]
        )
        if (
            not offer
            and gesture.value > limit + 0.001
            and (
                not approver
                or approver == gesture.requested_by_id
                or not approver.has_group("loyalty_gesture.group_care_manager")
            )
        ):
            violation(
                role,
                where,
                "gesture above the agent limit without another manager's approval",
                f"{gesture.value:g} > {limit:g}",
            )

    @staticmethod
    def _point_worth(program):
        """What one point gives: the best discount reward of the program (per point, or a
        fixed amount for its required points); 1 when the program has no such reward."""
        worths = []
        for reward in program.reward_ids.filtered(lambda r: r.reward_type == "discount"):
            if reward.discount_mode == "per_point":
                worths.append(reward.discount)
            elif reward.discount_mode == "per_order" and reward.required_points:
                worths.append(reward.discount / reward.required_points)
        return max(worths) if worths else 1.0

    def _coupon_worth(self, card):
        worth = 0.0
        for reward in card.program_id.reward_ids.filtered(lambda r: r.reward_type == "discount"):
            if reward.discount_mode == "per_point":
                worth = max(worth, card.points * reward.discount)
            elif reward.discount_mode == "per_order":
                worth = max(worth, reward.discount)
            else:
                worth = max(worth, reward.discount_max_amount or math.inf)
        return worth

    # --- Targets ---

    def _targets(self, model, company, per_kind=False):
        """One record of ``model`` per state (or one record) in ``company``; with
        ``per_kind``, in the initial state one per kind (a gesture's fulfilment)."""
        Model = self.env[model].with_context(active_test=False)
        domain = []
        if "company_id" in Model._fields and Model._fields["company_id"].store:
            domain = [("company_id", "in", [company.id, False])]
        elif model == "res.company":
            return company
        elif model == "res.partner":
            return self.customer if company == self.company else self.partner_b
        groupby = [
            name
            for name in ("state", "fulfilment")
            if name in Model._fields
            and Model._fields[name].store
            and Model._fields[name].type == "selection"
        ]
        if not groupby:
            return Model.search(domain, limit=1)
        records, seen = Model.browse(), set()
        for keys in Model._read_group(domain, groupby):
            if keys[0] in seen and not (per_kind and keys[0] in INITIAL_STATES):
                continue
            seen.add(keys[0])
            records |= Model.search(
                domain + [(name, "=", key) for name, key in zip(groupby, keys, strict=True)],
                limit=1,
            )
        return records

    def _foreign_id(self, comodel, company):
        """A record of ``comodel`` in the other company than ``company``, if any."""
        other = self.company_b if company == self.company else self.company
        named = {
            "res.partner": self.partner_b if other == self.company_b else self.customer,
            "helpdesk.ticket": self.ticket_b if other == self.company_b else self.ticket,
            "res.company": other,
        }
        if comodel in named:
            return named[comodel].id
        if comodel not in self.env:
            return None
        Model = self.env[comodel].with_context(active_test=False)
        if "company_id" not in Model._fields or not Model._fields["company_id"].store:
            return None
        return Model.search([("company_id", "=", other.id)], limit=1).id or None

    def _fields_of(self, model):
        own = None if model in self.own else self.extended[model]
        return battery.care_fields(self.env[model], own)

    def _base_values(self, model, company):
        """Values of a valid create: required fields without default, from a record."""
        Model = self.env[model]
        if Model._transient:
            values = {}
            for name, field in Model._fields.items():
                if field.type == "many2one" and (field.required or name == "ticket_id"):
                    if field.comodel_name == "res.company":
                        continue
                    records = self._targets(field.comodel_name, company)
                    waiting = records.filtered(lambda r: "state" in r and r.state == "to_approve")
                    values[name] = (waiting or records)[:1].id
            return values
        sample = self._targets(model, company)[:1]
        values = {}
        for name, field in Model._fields.items():
            if not field.required or not field.store or name in SKIPPED_BASE:
                continue
            if field.default is not None or (field.compute and not field.readonly):
                continue
            if not sample:
                return None
            value = sample[name]
            values[name] = value.id if field.type == "many2one" else value
        return values

    # --- The attacks ---

    def _attempt(
        self, role, model, method, args, where, followers=None, before=None, read_back=True
    ):
        """One attack in a savepoint, rolled back whatever it did.

        ``followers``: when the create or write is accepted, it is read back as the user,
        its stored values checked, then these buttons are pressed on it.
        """
        with closing(self.env.cr.savepoint()):
            outcome, result = self._call(role, model, method, args, where=where)
            if outcome == "accepted" and followers is not None:
                record_id = result if method == "create" else args[0][0]
                if isinstance(record_id, list):
                    record_id = record_id[0]
                self._after_accepted(
                    role, model, method, args, record_id, where, before or {}, read_back
                )
                for follower in followers:
                    self._call(
                        role,
                        model,
                        follower,
                        battery.button_args(self.env[model], follower, record_id),
                        where=f"{where} > {follower}",
                    )
        self.env.invalidate_all()
        return outcome

    @staticmethod
    def _plain(record, name):
        value = record[name]
        kind = record._fields[name].type
        if kind == "many2one":
            return value.id
        if kind in ("many2many", "one2many"):
            return value.ids
        return value

    def _after_accepted(self, role, model, method, args, record_id, where, before, read_back):
        """The accepted create or write: read it back as the user, and check what it stored.

        ``before``: on a write, the values before; on a create, those of the plain create.
        """
        if read_back:
            self._call(role, model, "read", [[record_id]], where=f"{where} > read")
        record = self.env[model].browse(record_id).exists()
        if not record:
            return
        if method == "create" and args[0] == self._base.get((role, model)):
            self._base_stored[role, model] = {
                name: self._plain(record, name) for name in DERIVED.get(model, ())
            }
        values = args[0] if method == "create" else args[1]
        for name, sent in values.items():
            field = record._fields[name]
            stored = record[name]
            stored_value = self._plain(record, name)
            changed = before.get(name) != stored_value
            if isinstance(stored_value, float) and battery.is_absurd(stored_value):
                self.tally.violation(role, where, "stores a number nobody means", stored_value)
            if field.type == "many2one" and stored and "company_id" in stored._fields:
                own = record.company_id if "company_id" in record._fields else None
                theirs = stored.company_ids if stored._name == "res.users" else stored.company_id
                if own and theirs and own not in theirs:
                    self.tally.violation(role, where, "links a record of another company", name)
            if name == "res_model" and stored and stored not in SOURCE_MODELS:
                self.tally.violation(role, where, "accepts a foreign model name", stored)
            if not changed or not self._same(field, sent, stored_value):
                continue
            if name in DERIVED.get(model, ()):
                self.tally.violation(role, where, "client sets a server-derived figure", name)
            elif method == "write" and field.readonly and not (field.compute and not field.related):
                self.tally.violation(role, where, "writes a field read-only in the form", name)

    @staticmethod
    def _same(field, sent, stored):
        if field.type in NUMBERS:
            try:
                return float(sent) == float(stored or 0)
            except (TypeError, ValueError):
                return False
        if field.type == "many2one":
            return sent == stored
        if field.type in ("date", "datetime"):
            return str(stored or "")[:10] == str(sent)[:10]
        if isinstance(sent, list):
            return False
        return sent == stored

    def _followers(self, model):
        """The buttons that move a record forward, towards what reaches the customer."""
        return [m for m in self.buttons.get(model, ()) if any(word in m for word in FORWARD_WORDS)]

    def _over_budget(self):
        return time.monotonic() - self.started > BUDGET_SECONDS

    def _values_for(self, role, field, foreign, first, initial, full):
        """The hostile values sent to ``field``: sampled (see the module docstring)."""
        values = battery.hostile_values(field, foreign)
        if not values:
            return []
        links = field.type in LINKS or field.name.endswith("model")
        if role in ("agent_b", "portal") and not links:
            return []  # the other company's agent and the portal user come for links
        if field.type in NUMBERS:
            if full and initial:
                # what reaches customers: big and zero on every record of the initial
                # state; one of negative, huge and NaN (type checks) on the first one
                rotated = values[2 + (ROLES.index(role) + len(field.name)) % (len(values) - 2)]
                return values[:2] + [rotated] if first else values[:2]
            return [values[(ROLES.index(role) + len(field.name)) % len(values)]]
        if not first:
            return []
        if field.name.endswith("model"):
            return values  # every kind of foreign model name
        if full and initial:
            return values[:2]
        if not initial and field.type not in ("many2one", "selection", "many2many", "one2many"):
            return []  # past the initial state: amounts and links only
        return [values[(ROLES.index(role) + len(field.name)) % len(values)]]

    def _may(self, role, model, operation):
        """Whether ``role`` has ``operation`` on ``model`` at all (access rights only)."""
        user = self.logins[role][0]
        return self.env[model].with_user(user).has_access(operation)

    def _attack_model(self, role, model):
        company = self.role_company[role]
        Model = self.env[model]
        fields_ = self._fields_of(model)
        foreign = lambda comodel: self._foreign_id(comodel, company)  # noqa: E731
        followers = self._followers(model) if model in self.own else []
        # the model's main attacker sends every kind of value where buttons then move
        # the record towards the customer: the agent where agents write, else the
        # manager; the others one value per field
        agent_writes = self.env[model].with_user(self.agent).has_access("write")
        full = role == ("agent" if agent_writes else "manager") and bool(followers)
        # create: a valid base, then one hostile field at a time
        base = self._base_values(model, company) if model in self.own else None
        if base is not None and Model._auto:
            self._base[role, model] = base
            outcome = self._attempt(
                role, model, "create", [base], f"{model}.create", followers=followers
            )
            if outcome == "accepted" and not self._may(role, model, "create"):
                self.tally.violation(role, f"{model}.create", "creates without the right", base)
            if outcome == "accepted":
                before = self._base_stored.get((role, model), {})
                for field in fields_:
                    if field.type not in TELLING and not field.name.endswith("model"):
                        continue  # texts and dates: the writes' job
                    # type checks (negative, huge, NaN) are the writes' job
                    values = self._values_for(role, field, foreign, True, True, full)
                    for value in values if field.name.endswith("model") else values[:2]:
                        vals = dict(base, **self._with_reference(field, value, company))
                        self._attempt(
                            role,
                            model,
                            "create",
                            [vals],
                            f"{model}.create({field.name}={value!r:.40})",
                            followers=followers,
                            before=before,
                        )
        # write: a record per state (per state and fulfilment for gestures), one hostile
        # field at a time; a record the role may not write at all (three AccessErrors)
        # is sampled out
        if Model._transient or not Model._auto:
            return
        seen_states = set()
        # the manager sweeps past the initial state only what agents may not write
        for record in self._targets(model, company, per_kind=True):
            state = record["state"] if "state" in record._fields else ""
            first, initial = state not in seen_states, state in INITIAL_STATES
            if role == "manager" and agent_writes and not initial:
                continue
            if not self._may(role, model, "write") and seen_states:
                break  # no write right at all: the first record shows it
            seen_states.add(state)
            denied = 0
            for field in fields_:
                telling = field.type in TELLING or field.name.endswith("model")
                values = self._values_for(role, field, foreign, first, initial, full)
                if denied >= 3:
                    self.tally.counts[role]["sampled out"] += len(values)
                    continue
                for value in values:
                    vals = self._with_reference(field, value, company)
                    self._attempt(
                        role,
                        model,
                        "write",
                        [[record.id], vals],
                        f"{model}[{state or record.id}].write({field.name}={value!r:.40})",
                        followers=followers if initial and telling else [],
                        read_back=telling,
                        before={name: self._plain(record, name) for name in vals},
                    )
                    if self._last_error == "odoo.exceptions.AccessError":
                        denied += 1
            if self._over_budget():
                return

    def _with_reference(self, field, value, company):
        """A model name goes with an id of a record of that model in the other company."""
        if field.name == "res_model" and "res_id" in self.env[field.model_name]._fields:
            other_ticket = self.ticket_b if company == self.company else self.ticket
            target = {
                "helpdesk.ticket": other_ticket.id,
                "account.move": self.secret_invoice.id,
                "res.users": self.manager.id,
                "ir.config_parameter": 1,
            }.get(value, 1)
            return {"res_model": value, "res_id": target}
        if field.name == "res_model":
            return {field.name: value}
        return {field.name: value}

    def _press_buttons(self, role, model):
        """Every action of the suite on a record of each state, as ``role``."""
        company = self.role_company[role]
        if self.env[model]._transient or not self.env[model]._auto:
            return
        targets = self._targets(model, company)
        if not self._may(role, model, "read"):
            targets = targets[:1]  # no access at all: the state does not matter
        for record in targets:
            state = record["state"] if "state" in record._fields else record.id
            for method in self.buttons.get(model, ()):
                self._attempt(
                    role,
                    model,
                    method,
                    battery.button_args(self.env[model], method, record.id),
                    f"{model}[{state}].{method}()",
                )

    def _cross_company(self, role):
        """Writes and buttons on the other company's records: always refused."""
        company = self.role_company[role]
        other = self.company_b if company == self.company else self.company
        for model in self.own:
            if not self.env[model]._auto or self.env[model]._transient:
                continue
            for record in self._targets(model, other)[:2]:
                if "company_id" in record._fields and record.company_id != other:
                    continue
                writable = [f for f in self._fields_of(model) if f.type in ("char", "text")]
                if writable:
                    self._attempt(
                        role,
                        model,
                        "write",
                        [[record.id], {writable[0].name: "Battery cross-company"}],
                        f"{model}[{other.name}].write",
                    )
                for method in self.buttons.get(model, ()):
                    self._attempt(
                        role,
                        model,
                        method,
                        battery.button_args(self.env[model], method, record.id),
                        f"{model}[{other.name}].{method}()",
                    )

    def _read_everything(self, role):
        """search_read on every model the suite grants access to, all fields."""
        data = self.env["ir.model.data"].search(
            [("module", "in", battery.CARE_MODULES), ("model", "=", "ir.model.access")]
        )
        accesses = self.env["ir.model.access"].browse(data.mapped("res_id")).exists()
        models = sorted(set(accesses.mapped("model_id.model")) | set(self.own))
        for model in models:
            if model in self.env and not self.env[model]._transient:
                # Survey managers read every answer: Odoo's own rights (out of scope)
                survey_manager = model.startswith("survey.") and self.logins[role][0].has_group(
                    "survey.group_survey_user"
                )
                # all fields, then (as an attacker would after an AccessError) the plain
                # stored ones, then the texts
                Model = self.env[model]
                plain = [
                    name
                    for name, field in Model._fields.items()
                    if field.store and field.type not in ("one2many", "many2many", "binary")
                ]
                texts = [name for name in plain if Model._fields[name].type in ("char", "text")]
                for spec in ([], plain, texts):
                    outcome, _detail = self._call(
                        role,
                        model,
                        "search_read",
                        [[]],
                        {"fields": spec, "limit": 500},
                        where=f"{model}.search_read",
                        secrets=set() if survey_manager else None,
                    )
                    if outcome == "accepted" or not self._may(role, model, "read"):
                        break

    def _public_visitor(self):
        """The public visitor: the survey answer routes only, hostile scores and tokens."""
        role = "public"
        # the holder of a link sees their own request: company B's customer may follow B's
        self.secrets[role] = {
            "ZZSECRET-A-LEAD",
            "ZZSECRET-B-GESTURE",
            "ZZSECRET-B-CAMPAIGN",
            "zzsecret-hr-answer",
            self.secret_invoice.name,
        }
        open_request = self.env["satisfaction.request"].search(
            [("company_id", "=", self.company.id), ("state", "=", "sent")], limit=1
        )
        open_request.expiry_date = fields.Datetime.add(fields.Datetime.now(), days=30)
        answered = self.request_b
        tokens = {
            "open": open_request.access_token,
            "answered-expired": answered.access_token,
            "forged": "00000000-0000-4000-8000-000000000000",
        }
        self.env.flush_all()
        page = self.url_open(f"/satisfaction/{tokens['open']}/3")
        csrf = battery_csrf(page.text)
        for label, token in tokens.items():
            for score in ("-1", "0", "5", "11", "1e15", "NaN", "", "3 OR 1=1"):
                with closing(self.env.cr.savepoint()):
                    response = self.url_open(
                        f"/satisfaction/{token}/submit",
                        data={"csrf_token": csrf, "score": score, "comment": "x" * 5000},
                        allow_redirects=False,
                    )
                    where = f"POST /satisfaction/<{label}>/submit score={score!r}"
                    self._public_outcome(response, where, role)
                    self.env.invalidate_all()
                    for request in (open_request, answered):
                        if request.score is not False and not 0 <= request.score <= 10:
                            self.tally.violation(
                                role, where, "stores a score out of range", request.score
                            )
                    if answered.score != 2:
                        self.tally.violation(
                            role, where, "changes an answered request", answered.score
                        )
                    self._check_invariants(role, where)
            for score in ("3", "99999999999", "-1"):
                response = self.url_open(f"/satisfaction/{token}/{score}", allow_redirects=False)
                self._public_outcome(response, f"GET /satisfaction/<{label}>/{score}", role)

    def _public_outcome(self, response, where, role):
        accepted = response.status_code == 200
        self.tally.count(role, "accepted" if accepted else "refused")
        if response.status_code >= 500:
            self.tally.violation(role, where, "server error", f"HTTP {response.status_code}")
        for secret in self.secrets[role]:
            if secret.lower() in response.text.lower():
                self.tally.violation(role, where, "reads what the visitor may not read", secret)

    # --- The test ---

    def test_rpc_battery(self):
        self.assertIn("loyalty.gesture", self.own)
        self.assertIn("satisfaction.request", self.own)
        self.assertIn("winback.campaign", self.own)
        self.assertIn("res.partner", self.extended)
        self.assertIn("action_submit", self.buttons["loyalty.gesture"])
        for role in ROLES:
            self._read_everything(role)
        for model in self.own + sorted(self.extended):
            if ONLY_MODELS and model not in ONLY_MODELS:
                continue
            for role in ROLES:
                if not self._over_budget():
                    self._attack_model(role, model)
                    self._press_buttons(role, model)
        for role in ROLES:
            self._cross_company(role)
        self._public_visitor()
        elapsed = time.monotonic() - self.started
        print(
            f"\nRPC battery: {len(self.own)} models of the suite, "
            f"{sum(len(f) for f in self.extended.values())} fields added to "
            f"{len(self.extended)} Odoo models, "
            f"{sum(len(b) for b in self.buttons.values())} buttons, {elapsed:.0f} s "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        print("\n".join(self.tally.summary()))
        slowest = sorted(self.tally.timing.items(), key=lambda kv: -kv[1])[:12]
        print(
            "  time by model: "
            + ", ".join(f"{m} {t:.0f} s/{self.tally.per_model[m]}" for m, t in slowest)
        )
        lines = self.tally.lines()
        if lines:
            print("\n".join(lines))
        self.assertFalse(self._over_budget(), "the battery ran out of time before the end")
        self.assertEqual(len(lines), 0, f"{len(lines)} violation(s):\n" + "\n".join(lines))


SKIPPED_BASE = {"company_id"}


def battery_csrf(text):
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    return match.group(1) if match else ""
