import uuid
from datetime import datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

SCORE_RANGES = {"csat": (1, 5), "nps": (0, 10)}
OPEN_STATES = ("pending", "sent")
# The records a survey asks about: what the triggers create requests for (ticket closed,
# order invoiced, gesture done, relationship NPS). Checked before any ``env[res_model]``.
SOURCE_MODELS = ("helpdesk.ticket", "sale.order", "loyalty.gesture", "res.partner")
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
        [
            ("ticket", "Ticket closed"),
            ("invoice", "Order invoiced"),
            ("gesture", "Gesture done"),
            ("relationship", "Relationship NPS"),
            ("manual", "Manual"),
        ],
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

    @api.depends("kind", "score", "state")
    def _compute_score_categories(self):
        for request in self:
            answered = request.state == "answered"
            score = request.score
            if answered and request.kind == "nps":
                request.nps_category = (
                    "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
                )
            else:
                request.nps_category = False
            request.is_satisfied = answered and request.kind == "csat" and score >= 4
            request.is_unhappy = answered and (
                (request.kind == "nps" and score <= 6) or (request.kind == "csat" and score <= 2)
            )

    @api.depends("partner_id", "kind")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for request in self:
            request.display_name = f"{kinds.get(request.kind, '')} · {request.partner_id.name}"

    @api.constrains("res_model", "res_id")
    def _check_source_model(self):
        for request in self:
            if request.res_model and request.res_model not in SOURCE_MODELS:
                raise ValidationError(
                    self.env._(
                        "A survey request cannot be about a record of %(model)s.",
                        model=request.res_model,
                    )
                )
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
            if model and model not in SOURCE_MODELS:
                raise ValidationError(
                    self.env._(
                        "A survey request cannot be about a record of %(model)s.", model=model
                    )
                )
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

    def action_send_now(self):
        """Send the pending requests at once (still under the contact policy)."""
        pending = self.filtered(lambda request: request.state == "pending")
        if not pending:
            raise UserError(self.env._("Only a pending survey request can be sent."))
        pending.write({"scheduled_date": fields.Datetime.now()})
        pending._send()

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
        return {
            "type": "ir.actions.act_window",
            "res_model": record._name,
            "res_id": record.id,
            "view_mode": "form",
        }

    def action_grant_repair_gesture(self):
        """Open the *Grant a gesture* wizard for the unhappy customer: the charter's
        preview and recommendation, the suggested repair gesture preselected. Once
        granted, the gesture is this answer's repair gesture (then opened directly)."""
        self.ensure_one()
        if not self.is_unhappy:
            raise UserError(self.env._("A repair gesture is suggested for unhappy answers only."))
        if self.gesture_id:
            return {
                "type": "ir.actions.act_window",
                "res_model": "loyalty.gesture",
                "res_id": self.gesture_id.id,
                "view_mode": "form",
            }
        gesture_type = self.suggested_gesture_type_id or self.company_id._satisfaction_repair_type()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "loyalty_gesture.loyalty_gesture_grant_wizard_action"
        )
        action["context"] = {
            "default_satisfaction_request_id": self.id,
            "default_ticket_id": self.ticket_id.id,
            "default_partner_id": self.commercial_partner_id.id,
            "default_type_id": gesture_type.id,
            "default_reason": self.env._(
                "Unhappy survey answer (%(score)s): %(comment)s",
                score=self.score,
                comment=self.comment or "-",
            ),
            "default_company_id": self.company_id.id,
        }
        return action

    # --- Business ---

    def _get_source_record(self):
        """The record the survey asks about, in the caller's environment, or None."""
        self.ensure_one()
        if self.res_model not in SOURCE_MODELS or not self.res_id or self.res_model not in self.env:
            return None
        return self.env[self.res_model].browse(self.res_id).exists()

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

    def _get_score_range(self):
        self.ensure_one()
        return SCORE_RANGES[self.kind]

    def _get_scale_legend(self):
        """What the lowest and the highest score mean, shown under the buttons."""
        self.ensure_one()
        if self.kind == "nps":
            return self.env._("Not at all likely"), self.env._("Extremely likely")
        return self.env._("Very dissatisfied"), self.env._("Very satisfied")

    def _get_answer_url(self, score):
        self.ensure_one()
        return f"{self.get_base_url()}/satisfaction/{self.access_token}/{score}"

    def _get_answer_links(self):
        """``[(score, url)]`` for the score buttons of the email."""
        self.ensure_one()
        low, high = self._get_score_range()
        return [(score, self._get_answer_url(score)) for score in range(low, high + 1)]

    def _is_answerable(self):
        """Whether the answer link still works (sent or answered, not expired)."""
        self.ensure_one()
        return self.state in ("sent", "answered") and (
            not self.expiry_date or self.expiry_date > fields.Datetime.now()
        )

    @api.model
    def _create_from_trigger(self, trigger, records):
        """Create the pending requests that ``trigger`` asks about ``records``.

        Idempotent: a record that already has a request for its customer gets no other.
        Runs as superuser: whoever closes a ticket or posts an invoice triggers the
        request without needing rights on satisfaction requests.
        """
        requests_sudo = self.sudo()  # sudo: triggered by any user, see docstring
        existing = {
            (req.partner_id.id, req.res_id)
            for req in requests_sudo.search(
                [("res_model", "=", records._name), ("res_id", "in", records.ids)]
            )
        }
        now = fields.Datetime.now()
        vals_list = []
        settings = {}  # company: its trigger settings, read once per batch
        for record in records:
            vals = record._satisfaction_request_values()
            company = self.env["res.company"].browse(vals["company_id"]) or self.env.company
            if company not in settings:
                settings[company] = company._satisfaction_trigger(trigger)
            active, survey, delay = settings[company]
            partner_id = vals.get("partner_id")
            if not active or not survey or not partner_id:
                continue
            if (partner_id, record.id) in existing:
                continue
            existing.add((partner_id, record.id))
            vals.update(
                {
                    "company_id": company.id,
                    "survey_id": survey.id,
                    "trigger": trigger,
                    "res_model": record._name,
                    "res_id": record.id,
                    "scheduled_date": now + timedelta(days=delay),
                }
            )
            if not vals.get("user_id"):
                vals.pop("user_id", None)  # let the owner default to the salesperson
            vals_list.append(vals)
        return requests_sudo.create(vals_list)

    def _send(self):
        self.sudo()._send_sudo()  # sudo: sending writes protected fields, see write

    def _send_sudo(self):
        """Send due requests, or skip them with the reason; one batch, in order.

        The survey window (one survey per customer per X days) is checked first, then
        the suite's contact policy, which logs every attempt in the contact log.
        """
        requests = self.filtered(lambda request: request.state == "pending")
        if not requests:
            return
        template = self.env.ref("satisfaction_survey.mail_template_satisfaction_request")
        recent = self._recently_surveyed(requests)
        logs = self.env["care.contact.log"]
        now = fields.Datetime.now()
        for request in requests:
            key = (request.commercial_partner_id.id, request.company_id.id)
            if key in recent:
                logs.sudo().create(  # sudo: the cron logs for every module
                    {
                        "partner_id": request.commercial_partner_id.id,
                        "company_id": request.company_id.id,
                        "kind": "survey",
                        "state": "skipped",
                        "skip_reason": "survey_window",
                        "res_model": request._name,
                        "res_id": request.id,
                    }
                )
                request.write({"state": "skipped", "skip_reason": "survey_window"})
                continue
            if not logs._log_contact(
                request.partner_id, "survey", record=request, company=request.company_id
            ):
                reason = logs._contact_refusal(request.partner_id, request.company_id)
                request.write({"state": "skipped", "skip_reason": reason or "throttled"})
                continue
            request.write(
                {
                    "state": "sent",
                    "sent_date": now,
                    "expiry_date": now
                    + timedelta(days=request.company_id.satisfaction_token_days or 30),
                }
            )
            template.send_mail(request.id, email_layout_xmlid="loyalty_gesture.mail_layout_care")
            recent.add(key)

    @api.model
    def _recently_surveyed(self, requests):
        """``{(commercial partner id, company id)}`` surveyed within their company window."""
        windows = {company: company.satisfaction_window_days for company in requests.company_id}
        longest = max(windows.values(), default=0)
        if not longest:
            return set()
        since = fields.Datetime.now() - timedelta(days=longest)
        groups = self.sudo()._read_group(  # sudo: the window counts every request
            [
                ("commercial_partner_id", "in", requests.commercial_partner_id.ids),
                ("company_id", "in", requests.company_id.ids),
                ("sent_date", ">=", since),
            ],
            ["commercial_partner_id", "company_id"],
            ["sent_date:max"],
        )
        now = fields.Datetime.now()
        return {
            (partner.id, company.id)
            for partner, company, last_sent in groups
            if windows[company] and last_sent >= now - timedelta(days=windows[company])
        }

    @api.model
    def _cron_send_due(self, batch_size=200):
        """Expire stale links, then send one batch of due requests.

        Safe to rerun and to run on several cron workers at once: each batch locks its
        rows (``SKIP LOCKED``) and a request leaves ``pending`` when handled.
        """
        self._expire_overdue(batch_size)
        now = fields.Datetime.now()
        self.flush_model(["state", "scheduled_date"])
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM satisfaction_request WHERE state = 'pending' "
                "AND scheduled_date <= %s ORDER BY scheduled_date, id LIMIT %s "
                "FOR UPDATE SKIP LOCKED",
                now,
                batch_size,
            )
        )
        batch = self.browse([row[0] for row in rows])
        batch._send()
        self._send_reminders(batch_size)
        remaining = self.search_count([("state", "=", "pending"), ("scheduled_date", "<=", now)])
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)

    @api.model
    def _send_reminders(self, batch_size=200):
        """One reminder at most, N days (per company) after an unanswered survey.

        The reminder is an automatic message like any other: it goes through the
        contact policy; refused, it is not retried (the request keeps its link).
        """
        now = fields.Datetime.now()
        template = self.env.ref("satisfaction_survey.mail_template_satisfaction_reminder")
        logs = self.env["care.contact.log"]
        requests_sudo = self.sudo()  # sudo: reminders write protected fields, see write
        reminded = requests_sudo
        # sudo: the cron reminds in every company
        companies = self.env["res.company"].sudo().search([("satisfaction_reminder_days", ">", 0)])
        for company in companies:
            if len(reminded) >= batch_size:
                break
            due = requests_sudo.search(
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "sent"),
                    ("reminder_date", "=", False),
                    ("sent_date", "<=", now - timedelta(days=company.satisfaction_reminder_days)),
                    ("expiry_date", ">", now),
                ],
                order="sent_date, id",
                limit=batch_size - len(reminded),
            )
            for request in due:
                request.reminder_date = now
                if logs._log_contact(request.partner_id, "survey", record=request, company=company):
                    template.send_mail(
                        request.id, email_layout_xmlid="loyalty_gesture.mail_layout_care"
                    )
            reminded |= due
        return reminded

    @api.model
    def _cron_relationship_nps(self):
        """Ask active customers for a relationship NPS every N months, trickled.

        Active: a confirmed order in the last 12 months. At most the company's daily cap
        of requests are created per day, so a large base is asked over several days; the
        sending cron then applies the survey window and the contact policy as usual.
        """
        now = fields.Datetime.now()
        today_start = datetime.combine(now.date(), time.min)
        requests_sudo = self.sudo()  # sudo: the cron asks for every customer
        created = requests_sudo
        companies = self.env["res.company"].search(
            [("satisfaction_relationship_trigger", "=", True)]
        )
        self.env["sale.order"].flush_model(["partner_id", "company_id", "state", "date_order"])
        self.flush_model(["commercial_partner_id", "company_id", "trigger", "create_date"])
        for company in companies:
            __, survey, __ = company._satisfaction_trigger("relationship")
            asked_today = requests_sudo.search_count(
                [
                    ("company_id", "=", company.id),
                    ("trigger", "=", "relationship"),
                    ("create_date", ">=", today_start),
                ]
            )
            room = company.satisfaction_relationship_daily_cap - asked_today
            if not survey or room <= 0:
                continue
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT p.commercial_partner_id
                      FROM sale_order so
                      JOIN res_partner p ON p.id = so.partner_id
                     WHERE so.company_id = %(company)s
                       AND so.state = 'sale'
                       AND so.date_order >= %(year_ago)s
                       AND NOT EXISTS (
                           SELECT 1 FROM satisfaction_request r
                            WHERE r.commercial_partner_id = p.commercial_partner_id
                              AND r.company_id = %(company)s
                              AND r.trigger = 'relationship'
                              AND r.create_date >= %(since)s)
                     GROUP BY p.commercial_partner_id
                     ORDER BY MAX(so.date_order) DESC, p.commercial_partner_id
                     LIMIT %(room)s
                    """,
                    company=company.id,
                    year_ago=now - relativedelta(years=1),
                    since=now - relativedelta(months=company.satisfaction_relationship_months),
                    room=room,
                )
            )
            created |= requests_sudo.create(
                [
                    {
                        "partner_id": partner_id,
                        "company_id": company.id,
                        "survey_id": survey.id,
                        "trigger": "relationship",
                        "res_model": "res.partner",
                        "res_id": partner_id,
                        "scheduled_date": now,
                    }
                    for (partner_id,) in rows
                ]
            )
        return created

    @api.model
    def _expire_overdue(self, batch_size=200):
        overdue = self.search(
            [("state", "=", "sent"), ("expiry_date", "<", fields.Datetime.now())],
            limit=batch_size,
        )
        overdue.sudo().write({"state": "expired"})  # sudo: see write
        return overdue

    @api.model
    def _submit_answer(self, token, score, comment=None):
        """Record the answer posted from the public page for ``token``.

        Returns ``(request, outcome)``: ``outcome`` as :meth:`_record_answer`, or
        ``"invalid"`` (unknown, expired or unanswerable link, score out of range).
        """
        # the visitor is usually public and has no access right; the exact,
        # unguessable token designates the one request they may answer.
        requests_sudo = self.sudo()  # sudo: public visitor, see above
        survey_request = requests_sudo.search([("access_token", "=", token)])
        if len(survey_request) != 1:
            return requests_sudo, "invalid"
        try:
            return survey_request, survey_request._record_answer(int(score), comment)
        except (TypeError, ValueError, UserError, ValidationError):
            return survey_request, "invalid"

    def _lock_for_answer(self):
        """Lock the request's row until the end of the transaction, then reread it.

        Two Confirms at once (a double click, a mail scanner and the customer) wait for
        each other here; the second one then sees the first answer (PostgreSQL makes
        it retry on a fresh snapshot when the first one changed the row).
        """
        self.flush_recordset()
        self.env.execute_query(
            SQL("SELECT id FROM satisfaction_request WHERE id IN %s FOR UPDATE", tuple(self.ids))
        )
        self.invalidate_recordset()

    def _record_answer(self, score, comment=None):
        """Record (or update) the customer's answer in the request and its survey input.

        A second answer updates the first one: same survey input, same lines. Returns
        ``"recorded"``, ``"unchanged"`` (the same answer again: nothing is written, no
        message) or ``"capped"`` (the customer already changed their answer
        ``MAX_ANSWER_CHANGES`` times: the last one is kept).
        """
        self.ensure_one()
        self._lock_for_answer()
        if not self._is_answerable():
            raise UserError(self.env._("This survey link is no longer valid."))
        low, high = self._get_score_range()
        if not isinstance(score, int) or not low <= score <= high:
            raise ValidationError(
                self.env._("The score must lie between %(low)s and %(high)s.", low=low, high=high)
            )
        comment = (comment or "").strip()[:5000] or False
        request_sudo = self.sudo()  # sudo: only this method records answers, see write
        changing = request_sudo.state == "answered"
        if changing and (request_sudo.score, request_sudo.comment or False) == (score, comment):
            return "unchanged"
        if changing and request_sudo.answer_change_count >= MAX_ANSWER_CHANGES:
            return "capped"
        request_sudo._save_user_input(score, comment)
        vals = {"state": "answered", "score": score, "comment": comment}
        if changing:
            vals["answer_change_count"] = request_sudo.answer_change_count + 1
        else:
            vals["answered_date"] = fields.Datetime.now()
        # one message per real change, written here: no tracking message beside it
        request_sudo.with_context(mail_notrack=True).write(vals)
        if changing:
            body = self.env._("Changed the answer to a score of %(score)s.", score=score)
        else:
            body = self.env._("Answered with a score of %(score)s.", score=score)
        request_sudo.message_post(body=body, author_id=self.partner_id.id)
        if request_sudo.is_unhappy and request_sudo.loop_state == "none":
            request_sudo._open_loop()
        return "recorded"

    def _save_user_input(self, score, comment):
        """Write the answer into the survey's own answer model (one per request)."""
        survey = self.survey_id.sudo()  # sudo: survey answers belong to the survey module
        score_question, comment_question = survey._satisfaction_questions()
        user_input = self.user_input_id.sudo()  # sudo: survey answers belong to the survey module
        if not user_input:
            user_input = survey._create_answer(partner=self.partner_id, check_attempts=False)
            self.user_input_id = user_input
        # sudo: survey answers belong to the survey module
        lines = self.env["survey.user_input.line"].sudo()
        for question, value, answer_type in (
            (score_question, score, "scale"),
            (comment_question, comment, comment_question.question_type),
        ):
            if not question:
                continue
            vals = {
                "user_input_id": user_input.id,
                "question_id": question.id,
                "skipped": value is False,
                "answer_type": answer_type if value is not False else False,
            }
            if value is not False:
                vals[f"value_{answer_type}"] = value
            old = lines.search(
                [("user_input_id", "=", user_input.id), ("question_id", "=", question.id)]
            )
            if old:
                old.write(vals)
            else:
                lines.create(vals)
        if user_input.state != "done":
            user_input._mark_done()

    def _open_loop(self):
        """Ask the owner to call the unhappy customer back, with a repair suggestion.

        The owner is the ticket's agent, else the team leader, the salesperson or a
        Customer Care manager; the activity speaks the owner's language. Idempotent: a
        request whose follow-up is already open, or that already has its follow-up
        activity, gets no second one.
        """
        self.ensure_one()
        activity_type = self.env.ref("satisfaction_survey.mail_activity_type_satisfaction_followup")
        # sudo: whoever triggers the answer (the public page) may not read activities
        if self.loop_state != "none" or activity_type in self.sudo().activity_ids.activity_type_id:
            return
        if not self.user_id:  # the owner left: the team leader or a care manager
            self.sudo()._compute_user_id()  # sudo: see write
        owner = self.user_id or self.env.ref("base.user_admin")
        request = self.with_context(lang=owner.lang or self.env.lang)
        gesture_type = request.company_id._satisfaction_repair_type()
        deadline = fields.Date.context_today(self) + timedelta(
            days=self.company_id.satisfaction_loop_days
        )
        self.sudo().write(  # sudo: see write
            {
                "loop_state": "open",
                "loop_opened_date": fields.Datetime.now(),
                "loop_deadline": deadline,
                "suggested_gesture_type_id": gesture_type.id,
            }
        )
        note = request.env._(
            "%(customer)s answered %(score)s. Call them back within the deadline.",
            customer=self.partner_id.name,
            score=self.score,
        )
        if gesture_type:
            note += " " + request.env._(
                "Suggested repair gesture: %(gesture)s.", gesture=gesture_type.name
            )
        request.activity_schedule(
            activity_type_id=activity_type.id,
            date_deadline=deadline,
            summary=request.env._("Unhappy customer: close the loop"),
            note=note,
            user_id=owner.id,
        )

    @api.model
    def _demo_open_loops(self, request_ids):
        """Demo data: open the follow-up of the demo's unhappy answers."""
        for survey_request in self.browse(request_ids).exists():
            if survey_request.is_unhappy and survey_request.loop_state == "none":
                survey_request._open_loop()

    @api.model
    def _satisfaction_scores(self, domain=None):
        """NPS, CSAT, response rate and close-the-loop figures over ``domain``.

        Returns percentages (None when there is nothing to measure) and the counts:
        NPS = % promoters - % detractors; CSAT = share of 4-5 among CSAT answers;
        response rate = answered / delivered (sent, answered or expired).
        """
        domain = list(domain or [])
        counts = {
            (kind, state, category, satisfied, loop): count
            for kind, state, category, satisfied, loop, count in self._read_group(
                domain,
                ["kind", "state", "nps_category", "is_satisfied", "loop_state"],
                ["__count"],
            )
        }

        def total(**match):
            keys = ("kind", "state", "category", "satisfied", "loop")
            return sum(
                count
                for key, count in counts.items()
                if all(key[keys.index(name)] == value for name, value in match.items())
            )

        def percent(part, whole):
            return round(100.0 * part / whole, 1) if whole else None

        promoters = total(category="promoter")
        detractors = total(category="detractor")
        nps_answers = total(kind="nps", state="answered")
        csat_answers = total(kind="csat", state="answered")
        satisfied = total(kind="csat", state="answered", satisfied=True)
        answered = total(state="answered")
        delivered = answered + total(state="sent") + total(state="expired")
        loops = total(loop="open") + total(loop="closed")
        return {
            "promoters": promoters,
            "passives": total(category="passive"),
            "detractors": detractors,
            "nps_answers": nps_answers,
            "csat_answers": csat_answers,
            "answered": answered,
            "delivered": delivered,
            "nps": (
                round(100.0 * (promoters - detractors) / nps_answers, 1) if nps_answers else None
            ),
            "csat": percent(satisfied, csat_answers),
            "response_rate": percent(answered, delivered),
            "loop_closed_rate": percent(total(loop="closed"), loops),
        }
