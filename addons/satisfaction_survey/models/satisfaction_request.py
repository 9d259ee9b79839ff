import uuid

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

SCORE_RANGES = {"csat": (1, 5), "nps": (0, 10)}
OPEN_STATES = ("pending", "sent")
# The records a survey asks about: what the triggers create requests for (ticket closed,
# order invoiced, gesture done, relationship NPS). Checked before any ``env[res_model]``.
SOURCE_MODELS = ("helpdesk.ticket", "sale.order", "loyalty.gesture", "res.partner")
# What created a request (the satisfaction analysis reports by it too).
TRIGGERS = [
    ("ticket", "Ticket closed"),
    ("invoice", "Order invoiced"),
    ("gesture", "Gesture done"),
    ("relationship", "Relationship NPS"),
    ("manual", "Manual"),
]
# Set once, when the request is created, then frozen for everyone but the server.
REFERENCE_FIELDS = frozenset(
    {"partner_id", "survey_id", "company_id", "res_model", "res_id", "ticket_id", "access_token"}
)
# What Care users may set, by operation (``"create"`` is the manager's manual request).
# Everything else (status, answer, sending dates, follow-up, repair gesture) is written
# by the request's own methods as superuser.
MANAGER_CREATE_FIELDS = frozenset(
    {"partner_id", "survey_id", "company_id", "res_model", "res_id", "scheduled_date", "user_id"}
)
# After creation: the owner of the follow-up, and the sending date while still pending.
WRITE_FIELDS = frozenset({"user_id"})
PENDING_WRITE_FIELDS = frozenset({"scheduled_date"})
# A customer may change their mind this many times after their first answer.
MAX_ANSWER_CHANGES = 5


def _new_token(_records=None):
    return str(uuid.uuid4())


class SatisfactionRequest(models.Model):
    """One satisfaction survey asked to one customer about one record (ticket, order…).

    Created by a trigger in ``pending`` state, sent by a scheduled action when due (or
    skipped, with the reason), answered in one click through an unguessable, expiring
    token. An unhappy answer opens a follow-up activity: the closed loop.
    """

    _name = "satisfaction.request"
    _description = "Satisfaction survey request"
    _inherit = ["mail.thread", "mail.activity.mixin", "care.field.policy"]
    _order = "create_date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        index=True,
        check_company=True,
        ondelete="cascade",
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    survey_id = fields.Many2one(
        "survey.survey",
        required=True,
        ondelete="restrict",
        domain=[("satisfaction_kind", "!=", False)],
    )
    kind = fields.Selection(
        [("csat", "CSAT"), ("nps", "NPS")],
        compute="_compute_kind",
        store=True,
        precompute=True,
        required=True,
    )
    trigger = fields.Selection(
        TRIGGERS,
        required=True,
        default="manual",
        readonly=True,
    )
    res_model = fields.Char(string="Source model", readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Source record", model_field="res_model", readonly=True
    )
    source_name = fields.Char(string="Source", compute="_compute_source_name")
    ticket_id = fields.Many2one("helpdesk.ticket", index=True, readonly=True, check_company=True)
    team_id = fields.Many2one(related="ticket_id.team_id", store=True, string="Helpdesk team")
    user_id = fields.Many2one(
        "res.users",
        string="Owner",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        help="Who follows up an unhappy answer: the ticket's agent, else the team leader, "
        "else the salesperson, else a Customer Care manager.",
    )
    access_token = fields.Char(
        required=True, readonly=True, copy=False, default=_new_token, index=True
    )
    scheduled_date = fields.Datetime(
        string="Send on", required=True, default=fields.Datetime.now, index=True
    )
    sent_date = fields.Datetime(readonly=True, copy=False)
    expiry_date = fields.Datetime(string="Link expires on", readonly=True, copy=False)
    answered_date = fields.Datetime(readonly=True, copy=False, index=True)
    reminder_date = fields.Datetime(
        string="Reminded on", readonly=True, copy=False, help="At most one reminder per request."
    )
    state = fields.Selection(
        [
            ("pending", "Pending"),
            ("sent", "Sent"),
            ("answered", "Answered"),
            ("expired", "Expired"),
            ("skipped", "Skipped"),
        ],
        required=True,
        default="pending",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    skip_reason = fields.Selection(
        [
            ("no_email", "No email address"),
            ("opt_out", "Opted out"),
            ("blacklisted", "Blacklisted address"),
            ("bounced", "Address bounced"),
            ("throttled", "Contact cap reached"),
            ("survey_window", "Surveyed recently"),
            ("manual", "Cancelled by a user"),
        ],
        string="Skipped because",
        readonly=True,
        copy=False,
    )
    score = fields.Integer(readonly=True, copy=False, aggregator="avg", tracking=True)
    comment = fields.Text(readonly=True, copy=False)
    answer_change_count = fields.Integer(
        string="Answer changes",
        readonly=True,
        copy=False,
        help="How many times the customer changed their first answer (at most 5).",
    )
    user_input_id = fields.Many2one(
        "survey.user_input", string="Survey answer", readonly=True, copy=False, ondelete="set null"
    )
    nps_category = fields.Selection(
        [("promoter", "Promoter"), ("passive", "Passive"), ("detractor", "Detractor")],
        string="NPS category",
        compute="_compute_score_categories",
        store=True,
    )
    is_satisfied = fields.Boolean(
        compute="_compute_score_categories", store=True, help="CSAT answer of 4 or 5."
    )
    is_unhappy = fields.Boolean(
        compute="_compute_score_categories",
        store=True,
        help="NPS detractor (0-6) or CSAT of 1 or 2: the owner must follow up.",
    )
    loop_state = fields.Selection(
        [("none", "No follow-up"), ("open", "To follow up"), ("closed", "Followed up")],
        string="Follow-up",
        required=True,
        default="none",
        readonly=True,
        copy=False,
        tracking=True,
    )
    loop_opened_date = fields.Datetime(string="Follow-up opened on", readonly=True, copy=False)
    loop_deadline = fields.Date(string="Follow-up deadline", readonly=True, copy=False)
    loop_closed_date = fields.Datetime(string="Followed up on", readonly=True, copy=False)
    suggested_gesture_type_id = fields.Many2one(
        "loyalty.gesture.type", string="Suggested repair gesture", readonly=True, copy=False
    )
    gesture_id = fields.Many2one(
        "loyalty.gesture", string="Repair gesture", readonly=True, copy=False, check_company=True
    )

    _sql_constraints = [
        (
            "access_token_unique",
            "UNIQUE(access_token)",
            "Each survey request needs its own answer link.",
        ),
        (
            "score_range",
            "CHECK(score IS NULL OR (score >= 0 AND score <= 10))",
            "A satisfaction score lies between 0 and 10.",
        ),
    ]

    def init(self):
        # One open request per (customer, source record): a partial unique index, as a
        # UNIQUE constraint cannot ignore answered, expired and skipped requests.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS satisfaction_request_open_unique "
                "ON satisfaction_request (partner_id, res_model, res_id) "
                "WHERE state IN ('pending', 'sent') AND res_model IS NOT NULL"
            )
        )
        # The satisfaction analysis by sent date (its default filter: the last 12 months)
        # reads its measures from this index alone (an index-only scan: 0.3 s instead of
        # 4 s at 1M customers); commercial_partner_id is in it for the view's join clause.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS satisfaction_request_analysis_index "
                "ON satisfaction_request (sent_date) "
                "INCLUDE (company_id, kind, state, nps_category, score, commercial_partner_id) "
                "WHERE state IN ('sent', 'answered', 'expired') "
                "AND commercial_partner_id IS NOT NULL"
            )
        )

    # --- Computes ---

    @api.depends("survey_id")
    def _compute_kind(self):
        for request in self:
            request.kind = request.survey_id.satisfaction_kind or request.kind

    @api.depends("partner_id", "ticket_id", "company_id")
    def _compute_user_id(self):
        managers = None
        for request in self:
            owner = (
                request.ticket_id.user_id
                or request.ticket_id.team_id.user_id
                or request.user_id
                or request.partner_id.commercial_partner_id.user_id
            )
            if not owner:
                if managers is None:
                    managers = self._get_care_managers()
                owner = managers.filtered(
                    lambda u, c=request.company_id: not c or c in u.company_ids
                )[:1]
            request.user_id = owner

    @api.model
    def _get_care_managers(self):
        """Active Customer Care managers, the administrator last (root never)."""
        # sudo: reading the group's members to assign work, whoever answers or sends
        users = self.env.ref("loyalty_gesture.group_care_manager").sudo().users
        users = users.filtered(lambda u: u.active and not u.share) - self.env.ref("base.user_root")
        admin = self.env.ref("base.user_admin", raise_if_not_found=False)
        return users.sorted(lambda u: (u == admin, u.id))

    @api.depends_context("uid", "allowed_company_ids")
    @api.depends("res_model", "res_id")
    def _compute_source_name(self):
        restricted = self.env._("Restricted")
        names = {}
        for model, records in self._get_source_records().items():
            names.update(dict.fromkeys(((model, rid) for rid in records.ids), restricted))
            # sudo: only the records the user may read (checked just before); their
            # names may depend on related records the user may not open themselves
            for record in records._filtered_access("read").sudo():
                names[model, record.id] = record.display_name
        for request in self:
            request.source_name = names.get((request.res_model, request.res_id), False)

    @api.depends("partner_id", "kind")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for request in self:
            request.display_name = f"{kinds.get(request.kind, '')} · {request.partner_id.name}"

    @api.model
    def _check_source_model_name(self, model):
        if model and model not in SOURCE_MODELS:
            raise ValidationError(
                self.env._("A survey request cannot be about a record of %(model)s.", model=model)
            )

    @api.constrains("res_model", "res_id")
    def _check_source_model(self):
        for request in self:
            self._check_source_model_name(request.res_model)
            if bool(request.res_model) != bool(request.res_id):
                raise ValidationError(
                    self.env._("A survey request's source needs both a model and a record.")
                )

    @api.constrains("survey_id")
    def _check_survey_is_satisfaction(self):
        if any(not request.survey_id.satisfaction_kind for request in self):
            raise ValidationError(
                self.env._("A satisfaction request needs a survey with a satisfaction kind.")
            )

    # --- CRUD ---

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            model = vals.get("res_model")
            # the fixed list first: nothing below may look up env[model] for another name
            self._check_source_model_name(model)
            if model and not self.env.su:
                self._check_user_source(vals)
        requests = super().create(vals_list)
        about_tickets = requests.filtered(
            lambda request: request.res_model == "helpdesk.ticket" and not request.ticket_id
        )
        for request in about_tickets:
            # sudo: the ticket a request is about is derived, never set by the user
            request.sudo().ticket_id = request.res_id
        return requests

    def _check_user_source(self, vals):
        """A Care manager's manual request may name a source they can read, in its company."""
        res_id = vals.get("res_id")
        record = self.env[vals["res_model"]]
        if isinstance(res_id, int) and res_id > 0:
            record = record.browse(res_id).exists()
        if not record or not record.has_access("read"):
            raise UserError(
                self.env._("The source of a survey request must be a record you can open.")
            )
        company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
        if "company_id" in record._fields and record.company_id and record.company_id != company:
            raise UserError(
                self.env._("The source of a survey request must belong to the same company.")
            )

    def write(self, vals):
        if not self.env.su and vals.get("user_id"):
            owner = self.env["res.users"].browse(vals["user_id"]).exists()
            if not owner or owner.share or any(r.company_id not in owner.company_ids for r in self):
                raise UserError(
                    self.env._(
                        "The owner of a survey request must be an internal user of its company."
                    )
                )
        return super().write(vals)

    def _care_writable_fields(self, operation):
        """Who may set what on a survey request (the superuser writes everything else).

        - create (Care managers, the ACL gives agents no create): the customer, the
          survey, the company, the source record (checked), the sending date and the owner;
        - write (agents and managers): the owner of the follow-up, and the sending date
          while the request is still pending. References, status, answer, dates of
          sending and the follow-up are never set by a user.
        """
        if operation == "create":
            return set(MANAGER_CREATE_FIELDS)
        allowed = set(WRITE_FIELDS)
        if self.state == "pending":
            allowed |= PENDING_WRITE_FIELDS
        return allowed

    def _care_refuse_fields(self, fields_refused):
        if fields_refused & REFERENCE_FIELDS:
            raise UserError(
                self.env._(
                    "The customer, survey, company, source and answer link of a survey request "
                    "are set when it is created and cannot change."
                )
            )
        if self and fields_refused & PENDING_WRITE_FIELDS:
            raise UserError(
                self.env._("The sending date of a survey request can change only while pending.")
            )
        raise UserError(
            self.env._(
                "The status, answer and follow-up of a survey request are set by the survey "
                "itself: %(fields)s cannot be edited.",
                fields=", ".join(
                    sorted(
                        self._fields[name]._description_string(self.env)
                        if name in self._fields
                        else name
                        for name in fields_refused
                    )
                ),
            )
        )

    def _creation_message(self):
        # mail builds "<model description> created" from ir.model's name, untranslated
        # while the module installs (its demo requests): one sentence of our translations
        return self.env._("Survey request created")

    # --- Actions ---

    def action_skip(self):
        if any(request.state not in OPEN_STATES for request in self):
            raise UserError(self.env._("Only a pending or sent survey request can be cancelled."))
        self.sudo().write({"state": "skipped", "skip_reason": "manual"})  # sudo: see write

    def action_open_source(self):
        self.ensure_one()
        record = self._get_source_record()
        if not record:
            raise UserError(self.env._("This survey request has no source record."))
        if not record.has_access("read"):
            raise UserError(self.env._("You are not allowed to open the source of this survey."))
        return self._get_form_action(record)

    @api.model
    def _get_form_action(self, record):
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
        }

    # --- Business ---

    def _get_source_record(self):
        """The record the survey asks about, in the caller's environment, or None."""
        self.ensure_one()
        return self._get_source_records().get(self.res_model)

    def _get_source_records(self):
        """``{model: existing source records}`` of ``self``, in the caller's environment."""
        ids_by_model = {}
        for request in self:
            if request.res_model in SOURCE_MODELS and request.res_id:
                ids_by_model.setdefault(request.res_model, set()).add(request.res_id)
        return {
            model: self.env[model].browse(sorted(ids)).exists()
            for model, ids in ids_by_model.items()
            if model in self.env
        }
