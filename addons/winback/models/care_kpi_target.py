from odoo import api, fields, models
from odoo.exceptions import ValidationError

# key: (label, unit, lower bound, upper bound, lower is better); the order is the
# order of the cards on the dashboard.
KPIS = {
    "csat": ("CSAT", "percent", 0.0, 100.0, False),
    "nps": ("NPS", "points", -100.0, 100.0, False),
    "response_rate": ("Survey response rate", "percent", 0.0, 100.0, False),
    "close_loop_rate": ("Close-the-loop rate", "percent", 0.0, 100.0, False),
    "retention_rate": ("Retention rate", "percent", 0.0, 100.0, False),
    "repurchase_rate": ("Repurchase rate", "percent", 0.0, 100.0, False),
    "gesture_cost": ("Gesture cost", "currency", 0.0, None, True),
    "gesture_roi": ("Gesture ROI", "percent", -100.0, None, False),
    "gesture_lift": ("Gesture return lift", "points", -100.0, 100.0, False),
    "redemption_rate": ("Gesture coupon redemption rate", "percent", 0.0, 100.0, False),
    "winback_lift": ("Win-back lift", "points", -100.0, 100.0, False),
    "campaign_roi": ("Campaign ROI", "percent", -100.0, None, False),
}
KPI_SELECTION = [(key, spec[0]) for key, spec in KPIS.items()]
UNIT_SELECTION = [("percent", "%"), ("points", "Points"), ("currency", "Amount")]


class CareKpiTarget(models.Model):
    """The value a company aims at for one KPI, from a month on."""

    _name = "care.kpi.target"
    _description = "Customer care KPI target"
    _order = "company_id, kpi, date_from desc"
    _rec_name = "kpi"
    _check_company_auto = True
    _inherit = ["care.field.policy", "care.number.guard"]

    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    kpi = fields.Selection(KPI_SELECTION, string="KPI", required=True)
    date_from = fields.Date(
        string="From",
        help="First month the target applies to, until a later target of the same KPI. "
        "Empty: every month without a dated target.",
    )
    target = fields.Float(required=True)
    unit = fields.Selection(UNIT_SELECTION, compute="_compute_unit")
    lower_is_better = fields.Boolean(compute="_compute_unit")
    active = fields.Boolean(default=True)

    @api.depends("kpi")
    def _compute_unit(self):
        for target in self:
            spec = KPIS.get(target.kpi)
            target.unit = spec[1] if spec else False
            target.lower_is_better = spec[4] if spec else False

    @api.constrains("kpi", "target")
    def _check_target_range(self):
        for target in self:
            __, __, low, high, __ = KPIS[target.kpi]
            if (low is not None and target.target < low) or (
                high is not None and target.target > high
            ):
                raise ValidationError(
                    self.env._(
                        "The target of %(kpi)s must lie between %(low)s and %(high)s.",
                        kpi=dict(self._fields["kpi"]._description_selection(self.env))[target.kpi],
                        low=low,
                        high=high if high is not None else "∞",
                    )
                )

    @api.constrains("company_id", "kpi", "date_from", "active")
    def _check_unique(self):
        groups = self.with_context(active_test=True)._read_group(
            [
                ("company_id", "in", self.company_id.ids),
                ("kpi", "in", list(set(self.mapped("kpi")))),
            ],
            ["company_id", "kpi", "date_from:day"],
            ["__count"],
        )
        if any(count > 1 for *__, count in groups):
            raise ValidationError(
                self.env._("A company has one active target per KPI and starting month.")
            )

    # --- CRUD ---

    def _care_writable_fields(self, operation):
        """Manager-only configuration (agents have a read access line only): the target
        itself; the company is chosen on create, among the manager's companies."""
        if not self.env.user.has_group("loyalty_gesture.group_care_manager"):
            return set()
        fields_ = {"kpi", "date_from", "target"}
        return fields_ | {"company_id"} if operation == "create" else fields_

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            # agents: no create access, said as such; the company rule checks the new rows
            self.check_access("create")
        for vals in vals_list:
            self._month_start(vals)
        targets = super().create(vals_list)
        self.env["care.kpi.report"]._apply_targets(targets.company_id)
        return targets

    def write(self, vals):
        if not self.env.su:
            self.check_access("write")  # agents: no write access, said as such
        self._month_start(vals)
        companies = self.company_id
        result = super().write(vals)
        self.env["care.kpi.report"]._apply_targets(companies | self.company_id)
        return result

    @api.ondelete(at_uninstall=False)
    def _reapply_without_these(self):
        # the report falls back on the remaining targets of these companies
        self.env["care.kpi.report"]._apply_targets(self.company_id, exclude_ids=self.ids)

    @api.model
    def _month_start(self, vals):
        if vals.get("date_from"):
            vals["date_from"] = fields.Date.to_date(vals["date_from"]).replace(day=1)
