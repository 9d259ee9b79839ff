from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .satisfaction_request import MAX_ANSWER_CHANGES, SCORE_RANGES


class SatisfactionRequest(models.Model):
    """Scoring: the score scale, the customer's answer (recorded once, changed a few
    times at most), the closed loop of an unhappy answer and the NPS/CSAT figures."""

    _inherit = "satisfaction.request"  # pylint: disable=consider-merging-classes-inherited

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

    def _get_score_range(self):
        self.ensure_one()
        return SCORE_RANGES[self.kind]

    def _get_scale_legend(self):
        """What the lowest and the highest score mean, shown under the buttons."""
        self.ensure_one()
        if self.kind == "nps":
            return self.env._("Not at all likely"), self.env._("Extremely likely")
        return self.env._("Very dissatisfied"), self.env._("Very satisfied")

    @api.model
    def _submit_answer(self, token, score, comment=None):
        """Record the answer posted from the public page for ``token``.

        Returns ``(request, outcome)``: ``outcome`` as :meth:`_record_answer`, or
        ``"invalid"`` (unknown, expired or unanswerable link, score out of range).
        """
        survey_request = self._get_by_token(token)
        if not survey_request:
            return survey_request, "invalid"
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

    def action_grant_repair_gesture(self):
        """Open the *Grant a gesture* wizard for the unhappy customer: the charter's
        preview and recommendation, the suggested repair gesture preselected. Once
        granted, the gesture is this answer's repair gesture (then opened directly)."""
        self.ensure_one()
        if not self.is_unhappy:
            raise UserError(self.env._("A repair gesture is suggested for unhappy answers only."))
        if self.gesture_id:
            return self._get_form_action(self.gesture_id)
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
