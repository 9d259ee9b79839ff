"""The screens a care manager opens, timed through the RPCs the web client sends.

Each screen reads its action, the action's search view and its first view (list, graph or
pivot) the way the web client does: the action's domain and context, the search view's
``search_default_*`` filters and grouping, the list's fields (the ``web_search_read``
specification: many2one as ``display_name``, one2many as ids, widget dependencies), its
limit and default order, or the graph's and pivot's groupings and measures. The RPCs run as
a Customer Care manager (not the superuser, so the record rules apply), after the ORM
cache is cleared. The statements they send are recorded; those slower than
``EXPLAIN_ABOVE`` are explained (``EXPLAIN (ANALYZE, BUFFERS)``) into
``results/explain/<scale>-<screen>.md``.
"""

import os
import time
from datetime import date, datetime

import datagen
from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

HERE = os.path.dirname(os.path.abspath(__file__))
EXPLAIN_ABOVE = 0.05  # seconds
MANAGER_LOGIN = "bench_care_manager"
CAMPAIGN_NAME = "Bench screens campaign"
# fields a widget reads besides its own (mail's list_activity widget)
WIDGET_DEPENDENCIES = {
    "list_activity": [
        "activity_exception_decoration",
        "activity_exception_icon",
        "activity_state",
        "activity_summary",
        "activity_type_icon",
        "activity_type_id",
    ],
}


class QueryLog:
    """Every statement the cursor runs inside the block, with its duration."""

    def __init__(self, cr):
        self.cr = cr
        self.queries = []

    def __enter__(self):
        original = self.cr.execute

        def execute(query, params=None, log_exceptions=True):
            start = time.perf_counter()
            try:
                return original(query, params, log_exceptions)
            finally:
                self.queries.append((time.perf_counter() - start, query, params))

        self.cr.execute = execute
        return self

    def __exit__(self, *exc):
        del self.cr.execute  # back to the class's method


def manager(env):
    """A Customer Care manager and Sales user of the company, like the demo's caremanager."""
    user = env["res.users"].with_context(active_test=False).search([("login", "=", MANAGER_LOGIN)])
    if not user:
        user = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Bench care manager",
                    "login": MANAGER_LOGIN,
                    "company_id": env.company.id,
                    "company_ids": [(6, 0, env.company.ids)],
                    "groups_id": [
                        (4, env.ref("base.group_user").id),
                        (4, env.ref("loyalty_gesture.group_care_manager").id),
                        (4, env.ref("sales_team.group_sale_salesman").id),
                    ],
                }
            )
        )
    return user


def _eval_context(env):
    today = date.today()
    return {
        "uid": env.uid,
        "context_today": lambda: today,
        "datetime": datetime,
        "relativedelta": relativedelta,
        "current_date": today.strftime("%Y-%m-%d"),
    }


def search_defaults(env, action):
    """(domain, group_by, context) the action opens with: its domain and the search view's
    filters and grouping named ``search_default_*`` in its context."""
    ctx = action.get("context") or {}
    if isinstance(ctx, str):
        ctx = safe_eval(ctx, _eval_context(env))
    domain = action.get("domain") or []
    if isinstance(domain, str):
        domain = safe_eval(domain, _eval_context(env))
    domain, group_by = list(domain), []
    view_id = action.get("search_view_id") and action["search_view_id"][0]
    arch = env[action["res_model"]].get_view(view_id, "search")["arch"]
    defaults = {
        key[len("search_default_") :]
        for key, value in ctx.items()
        if key.startswith("search_default_") and value
    }
    # the web client ORs the filters of one group (between separators, fields and <group>)
    # and ANDs the groups
    groups, current = [], []
    for node in etree.fromstring(arch).iter():
        if node.tag == "filter":
            current.append(node)
        elif node.tag in ("separator", "field", "group"):
            groups.append(current)
            current = []
    groups.append(current)
    for group in groups:
        filter_domains = []
        for node in group:
            if node.get("name") not in defaults:
                continue
            if node.get("domain"):
                filter_domains.append(safe_eval(node.get("domain"), _eval_context(env)))
            if node.get("context"):
                by = safe_eval(node.get("context"), _eval_context(env)).get("group_by")
                if by:
                    group_by += [by] if isinstance(by, str) else list(by)
        ored = []
        for i, dom in enumerate(filter_domains):
            ored = (["|"] + ored if i else ored) + list(dom)
        domain += ored
    return domain, group_by, ctx


def list_spec(env, model, arch):
    """The ``web_search_read`` specification of a list view, as the web client builds it."""
    spec = {}
    fields = env[model]._fields
    root = etree.fromstring(arch)
    for node in root.iter("field"):
        if node.getparent().tag not in ("list", "tree"):
            continue
        name = node.get("name")
        invisible = node.get("column_invisible") in ("1", "True") or node.get("invisible") in (
            "1",
            "True",
        )
        field = fields[name]
        if field.type == "many2one":
            spec[name] = {"fields": {} if invisible else {"display_name": {}}}
        elif field.type in ("one2many", "many2many"):
            spec[name] = {"fields": {}} if not invisible else {}
        else:
            spec[name] = {}
        for dependency in WIDGET_DEPENDENCIES.get(node.get("widget"), []):
            dep_field = fields[dependency]
            spec.setdefault(dependency, {"fields": {}} if dep_field.type == "many2one" else {})
    return spec, int(root.get("limit") or 80), root.get("default_order") or ""


class Screen:
    """One screen: ``action(env)`` is the action the menu or button returns."""

    module = "winback"

    def prepare(self, env):
        self._data(env)
        self.uid = manager(env).id
        self.queries = []

    def _data(self, env):
        raise NotImplementedError

    def _rpcs(self, env):
        """The RPCs of the action's first view, as (label, callable) pairs."""
        action = self.action(env)
        model = env[action["res_model"]]
        domain, group_by, ctx = search_defaults(env, action)
        model = model.with_context(**{k: v for k, v in ctx.items() if k.startswith("default_")})
        first = (action.get("view_mode") or "list").split(",")[0]
        self.view = first
        arch = model.get_view(False, first)["arch"]
        if first == "list":
            spec, limit, order = list_spec(env, model._name, arch)
            if group_by:
                aggregates = [
                    f"{name}:{model._fields[name].aggregator}"
                    for name in spec
                    if model._fields[name].aggregator and name != group_by[0]
                ]
                return [
                    (
                        "web_read_group",
                        lambda: model.web_read_group(
                            domain, aggregates, group_by[:1], limit=80, orderby=order, lazy=True
                        )["groups"],
                    )
                ]
            return [
                (
                    "web_search_read",
                    lambda: model.web_search_read(
                        domain, spec, offset=0, limit=limit, order=order, count_limit=10001
                    )["records"],
                )
            ]
        if first == "graph":
            root = etree.fromstring(arch)
            group = [
                f"{n.get('name')}:{n.get('interval')}" if n.get("interval") else n.get("name")
                for n in root.iter("field")
                if n.get("type") != "measure"
            ]
            measures = [n.get("name") for n in root.iter("field") if n.get("type") == "measure"]
            specs = [f"{m}:{model._fields[m].aggregator}" for m in measures] or ["__count"]
            return [
                (
                    "web_read_group",
                    lambda: model.with_context(fill_temporal=True).web_read_group(
                        domain, specs, group_by or group, lazy=False
                    )["groups"],
                )
            ]
        raise NotImplementedError(first)

    def odoo(self, env):
        env = env(user=self.uid)
        self.timings = {}
        rows = 0
        with QueryLog(env.cr) as log:
            for label, rpc in self._rpcs(env):
                start = time.perf_counter()
                result = rpc()
                self.timings[label] = round(time.perf_counter() - start, 3)
                rows += len(result)
        self.queries = log.queries
        self.extra.update(self.timings)
        self.extra["statements"] = len(log.queries)
        self.extra["slowest_statement_s"] = round(max((q[0] for q in log.queries), default=0), 3)
        self.rows = rows
        return rows

    def check(self, env):
        """Explain the slow statements (results/explain/<scale>-<screen>.md); the screen is
        not empty."""
        self._explain(env)
        return None if self.rows else "no row on the screen"

    def _explain(self, env):
        slow = sorted((q for q in self.queries if q[0] >= EXPLAIN_ABOVE), key=lambda q: -q[0])
        if not slow:
            return
        cr = env.cr
        cr.execute(SQL("SELECT count(*) FROM res_partner WHERE ref = %s", datagen.TAG))
        scale = cr.fetchone()[0]
        slug = self.name.split(": ")[-1].replace(" ", "_")
        lines = [f"## {self.name} ({scale:,} customers)", ""]
        for seconds, query, params in slow[:3]:
            text = cr.mogrify(query, params).decode()
            if not text.lstrip().upper().startswith("SELECT"):
                continue
            cr.execute(SQL("EXPLAIN (ANALYZE, BUFFERS) %s", SQL(text.replace("%", "%%"))))
            plan = "\n".join(r[0] for r in cr.fetchall())
            lines += [f"{seconds:.3f} s:", "", "```sql", text, "```", "", "```", plan, "```", ""]
        folder = os.path.join(HERE, "results", "explain")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{scale}-{slug}.md"), "w") as f:
            f.write("\n".join(lines) + "\n")


def _scores(env):
    env.cr.execute(
        SQL(
            "SELECT 1 FROM winback_customer_score s JOIN res_partner p ON p.id = s.partner_id "
            "WHERE s.company_id = %s AND p.ref = %s LIMIT 1",
            env.company.id,
            datagen.TAG,
        )
    )
    if not env.cr.fetchone():
        env["winback.customer.score"]._compute_company_scores(env.company, refit=True)


class CustomerStatusesScreen(Screen):
    """Opening *Customer statuses* (CRM > Win-back): `web_search_read` of the list's first
    page, 80 scores in the model's order (churn risk), with the list's fields and the count
    up to 10,001, as a Care manager, vs bare SQL reading the same page."""

    name = "screen: customer statuses"

    def _data(self, env):
        _scores(env)

    def action(self, env):
        return env["ir.actions.act_window"]._for_xml_id("winback.winback_customer_score_action")

    def baseline(self, env):
        env.cr.execute(
            SQL(
                "SELECT * FROM winback_customer_score WHERE company_id = %s "
                "ORDER BY churn_risk DESC, id LIMIT 80",
                env.company.id,
            )
        )
        return env.cr.rowcount


class CampaignMembersScreen(Screen):
    """Opening the members of a campaign targeting every at-risk, dormant and lost customer
    (the campaign form's *Members* button, `action_view_members`): `web_search_read` of
    the list's first page in the model's order, as a Care manager, vs bare SQL reading the
    same page of the campaign's members."""

    name = "screen: campaign members"

    def _data(self, env):
        _scores(env)
        campaign = env["winback.campaign"].search([("name", "=", CAMPAIGN_NAME)], limit=1)
        if not campaign:
            campaign = env["winback.campaign"].create(
                {
                    "name": CAMPAIGN_NAME,
                    "segment_at_risk": True,
                    "segment_dormant": True,
                    "segment_lost": True,
                    "holdout_percent": 10,
                    "min_orders": 1,
                    "gesture_type_id": env["loyalty.gesture.type"]
                    .create({"name": "Bench screens coupon", "default_value": 10, "max_value": 50})
                    .id,
                }
            )
            campaign._target()
            env.cr.execute(SQL("ANALYZE winback_campaign_member"))
        self.campaign_id = campaign.id

    def action(self, env):
        return env["winback.campaign"].browse(self.campaign_id).action_view_members()

    def baseline(self, env):
        env.cr.execute(
            SQL(
                "SELECT * FROM winback_campaign_member WHERE campaign_id = %s "
                "ORDER BY revenue_before DESC, id LIMIT 80",
                self.campaign_id,
            )
        )
        return env.cr.rowcount


class GesturesScreen(Screen):
    """Opening *Gestures* (Helpdesk > Gestures): `web_search_read` of the list's first page
    in the model's order (newest first) over the gestures of the gesture-effects data
    (one ticket for ~30 % of the customers, a gesture for 60 % of them), as a Care
    manager, vs bare SQL reading the same page."""

    name = "screen: gestures"
    module = "loyalty_gesture"

    def _data(self, env):
        import operations

        env.cr.execute(SQL("SELECT 1 FROM helpdesk_ticket WHERE number = 'BENCH' LIMIT 1"))
        if not env.cr.fetchone():
            operations.GestureEffects()._generate(env)

    def action(self, env):
        return env["ir.actions.act_window"]._for_xml_id("loyalty_gesture.loyalty_gesture_action")

    def baseline(self, env):
        env.cr.execute(
            SQL(
                "SELECT * FROM loyalty_gesture WHERE company_id = %s "
                "ORDER BY create_date DESC, id DESC LIMIT 80",
                env.company.id,
            )
        )
        return env.cr.rowcount


def satisfaction_since():
    """The first day of the satisfaction analysis's default period (its filter *Last 12
    months*: this month and the 11 before)."""
    return date.today().replace(day=1) - relativedelta(months=11)


class SatisfactionScreen(Screen):
    """Opening *Satisfaction analysis* (its default filters NPS and last 12 months) on its
    first view, the graph (NPS by month: `web_read_group`, lazy=False, fill_temporal), over
    one survey request per order, as a Care manager, vs the same GROUP BY on the requests
    table."""

    name = "screen: satisfaction graph"
    module = "satisfaction_survey"

    def _data(self, env):
        import operations

        operations.SatisfactionAggregation().prepare(env)

    def action(self, env):
        return env["ir.actions.act_window"]._for_xml_id(
            "satisfaction_survey.satisfaction_report_action"
        )

    def baseline(self, env):
        env.cr.execute(
            SQL(
                """
                SELECT date_trunc('month', sent_date),
                       avg(CASE nps_category WHEN 'promoter' THEN 100.0
                                WHEN 'detractor' THEN -100.0 WHEN 'passive' THEN 0.0 END)
                  FROM satisfaction_request
                 WHERE kind = 'nps' AND state IN ('sent', 'answered', 'expired')
                   AND sent_date >= %s
              GROUP BY 1
                """,
                satisfaction_since(),
            )
        )
        return env.cr.rowcount


class SatisfactionPivotScreen(SatisfactionScreen):
    """Switching *Satisfaction analysis* to its pivot (default filters NPS and last 12 months;
    rows month, columns
    kind, its four measures): the four `read_group` (lazy=False) the pivot sends — total,
    rows, columns, cells — as a Care manager, vs the same four GROUP BY on the requests
    table."""

    name = "screen: satisfaction pivot"

    def _rpcs(self, env):
        action = self.action(env)
        model = env[action["res_model"]]
        domain, _group_by, _ctx = search_defaults(env, action)
        root = etree.fromstring(model.get_view(False, "pivot")["arch"])
        rows = [
            f"{n.get('name')}:{n.get('interval')}" if n.get("interval") else n.get("name")
            for n in root.iter("field")
            if n.get("type") == "row"
        ]
        cols = [n.get("name") for n in root.iter("field") if n.get("type") == "col"]
        measures = [
            f"{n.get('name')}:{model._fields[n.get('name')].aggregator}"
            for n in root.iter("field")
            if n.get("type") == "measure"
        ]
        return [
            (
                "read_group %s" % ("+".join(groupby) or "total"),
                lambda groupby=groupby: model.read_group(domain, measures, groupby, lazy=False),
            )
            for groupby in ([], rows, cols, rows + cols)
        ]

    def baseline(self, env):
        rows = 0
        month = SQL("date_trunc('month', sent_date)")
        for groupby in ([], [month], [SQL("kind")], [month, SQL("kind")]):
            keys = SQL(", ").join(groupby)
            env.cr.execute(
                SQL(
                    """
                    SELECT %(keys)s%(comma)s count(*),
                           avg(CASE WHEN state = 'answered' THEN 100.0 ELSE 0.0 END),
                           avg(CASE WHEN state = 'answered' AND kind = 'nps' THEN
                               CASE nps_category WHEN 'promoter' THEN 100.0
                                    WHEN 'detractor' THEN -100.0 ELSE 0.0 END END),
                           avg(CASE WHEN state = 'answered' AND kind = 'csat' THEN
                               CASE WHEN score >= 4 THEN 100.0 ELSE 0.0 END END)
                      FROM satisfaction_request
                     WHERE kind = 'nps' AND state IN ('sent', 'answered', 'expired')
                       AND sent_date >= %(since)s
                     %(group)s
                    """,
                    since=satisfaction_since(),
                    keys=keys,
                    comma=SQL(",") if groupby else SQL(),
                    group=SQL("GROUP BY %s", keys) if groupby else SQL(),
                )
            )
            rows += env.cr.rowcount
        return rows


SCREENS = [
    CustomerStatusesScreen(),
    CampaignMembersScreen(),
    GesturesScreen(),
    SatisfactionScreen(),
    SatisfactionPivotScreen(),
]
