from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .care_constants import SKIP_REASONS


class CareContactLog(models.Model):
    """Every automatic message to a customer, sent or skipped, and why.

    One log and one policy for the whole suite: each module adds its own ``kind``
    (``selection_add``) and asks :meth:`_contact_refusal` before sending.
    """

    _name = "care.contact.log"
    _inherit = ["care.field.policy"]
    _description = "Customer contact log"
    _order = "date desc, id desc"

    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    kind = fields.Selection([("gesture", "Gesture email")], required=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    state = fields.Selection(
        [("sent", "Sent"), ("skipped", "Skipped")], required=True, default="sent"
    )
    skip_reason = fields.Selection(
        SKIP_REASONS,
        string="Skipped because",
    )
    res_model = fields.Char(string="Source model")
    res_id = fields.Many2oneReference(string="Source record", model_field="res_model")

    def _care_writable_fields(self, operation):
        """A log is written by the suite only (as superuser): no user, managers
        included, sets or rewrites what was sent to whom."""
        return set()

    @api.model
    def _contact_refusal(self, partner, company=None):
        """Why ``partner`` must not get an automatic message now, or False."""
        return self._contact_refusals(partner, company)[0]

    @api.model
    def _log_contact(self, partner, kind, record=None, company=None):
        """Check the policy and log the attempt; return True if the message may go."""
        records = [record] if record else None
        return self._log_contacts(partner, kind, records=records, company=company)[0]

    @api.model
    def _contact_refusals(self, partners, company=None):
        """Why each of ``partners`` must not get an automatic message now (or False), in a
        fixed number of queries.

        ``partners`` in the order the messages would go: a customer listed twice counts
        their first message against the cap for the next. Returns the refusals (or False)
        in that order. The partners' figures are read in SQL, not through their records:
        a campaign asks for 100,000 customers at once, whose records would fill the cache.
        """
        company = company or self.env.company
        figures = self._contact_figures(partners)
        commercial = [figures[partner_id][0] for partner_id in partners.ids]
        capped = company.care_contact_max and company.care_contact_window_days
        sent = {}
        if capped and partners:
            since = fields.Datetime.now() - timedelta(days=company.care_contact_window_days)
            groups = self.sudo()._read_group(  # sudo: the policy counts every module's logs
                [
                    ("partner_id", "in", list(set(commercial))),
                    ("company_id", "=", company.id),
                    ("state", "=", "sent"),
                    ("date", ">=", since),
                ],
                ["partner_id"],
                ["__count"],
            )
            sent = {partner.id: count for partner, count in groups}
        refusals = []
        for partner_id, customer in zip(partners.ids, commercial, strict=True):
            _commercial, has_email, opt_out, blacklisted, bounced = figures[partner_id]
            refusal = False
            if not has_email:
                refusal = "no_email"
            elif opt_out:
                refusal = "opt_out"
            elif blacklisted:
                refusal = "blacklisted"
            elif bounced:
                # an address that bounced gets nothing automatic until it is fixed
                # (Odoo resets the counter when the customer writes from it again)
                refusal = "bounced"
            elif capped and sent.get(customer, 0) >= company.care_contact_max:
                refusal = "throttled"
            if not refusal:
                sent[customer] = sent.get(customer, 0) + 1
            refusals.append(refusal)
        return refusals

    @api.model
    def _contact_figures(self, partners):
        """``{partner id: (commercial partner id, has an email, opted out, blacklisted,
        bounced)}`` in one query: what ``commercial_partner_id``, ``email``,
        ``care_opt_out``, ``is_blacklisted`` (an active ``mail.blacklist`` entry of the
        normalized email) and ``message_bounce`` say."""
        if not partners:
            return {}
        partners.flush_model(
            ["commercial_partner_id", "email", "email_normalized", "care_opt_out", "message_bounce"]
        )
        self.env["mail.blacklist"].flush_model(["email", "active"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id, p.commercial_partner_id, COALESCE(p.email, '') != '',
                       COALESCE(p.care_opt_out, FALSE),
                       p.email_normalized IS NOT NULL AND EXISTS (
                           SELECT 1 FROM mail_blacklist b
                            WHERE b.active AND b.email = p.email_normalized),
                       COALESCE(p.message_bounce, 0) > 0
                  FROM res_partner p
                 WHERE p.id = ANY(%s)
                """,
                list(set(partners.ids)),
            )
        )
        return {row[0]: row[1:] for row in rows}

    @api.model
    def _log_contacts(self, partners, kind, records=None, company=None, refusals=None):
        """Check the policy and log the attempts for many customers at once (see
        :meth:`_contact_refusals`).

        ``records``: parallel to ``partners`` (optional); ``refusals``: from
        :meth:`_contact_refusals` if already asked. Returns "may send" booleans, in order.
        The logs are inserted in one statement, with the values ``create`` would write
        (winback/tests/test_coupon_bulk.py compares them).
        """
        company = company or self.env.company
        if refusals is None:
            refusals = self._contact_refusals(partners, company)
        if not partners:
            return []
        if records is None:
            res_models, res_ids = [None] * len(partners), [None] * len(partners)
        else:
            res_models = [record._name if record else None for record in records]
            res_ids = [record.id if record else None for record in records]
        logs = self.sudo()  # sudo: agents log contacts they cannot manage
        res_id = logs._fields["res_id"]
        ids = self.env["loyalty.gesture"]._care_next_ids(self._table, len(partners))
        now = self.env.cr.now()
        partners.flush_model(["commercial_partner_id"])
        self.env.execute_query(
            SQL(
                """
                INSERT INTO care_contact_log (
                    id, partner_id, company_id, kind, date, state, skip_reason, res_model,
                    res_id, create_uid, create_date, write_uid, write_date)
                SELECT v.id, p.commercial_partner_id, %(company)s, %(kind)s, %(date)s,
                       CASE WHEN v.reason IS NULL THEN 'sent' ELSE 'skipped' END, v.reason,
                       v.res_model, COALESCE(v.res_id, %(no_res_id)s),
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM unnest(%(ids)s::int[], %(partners)s::int[], %(reasons)s::varchar[],
                              %(res_models)s::varchar[], %(res_ids)s::int[])
                       AS v(id, partner_id, reason, res_model, res_id)
                  JOIN res_partner p ON p.id = v.partner_id
                """,
                company=company.id,
                kind=kind,
                date=fields.Datetime.now(),
                no_res_id=res_id.convert_to_column_insert(False, logs),
                uid=self.env.uid,
                now=now,
                ids=ids,
                partners=partners.ids,
                reasons=[refusal or None for refusal in refusals],
                res_models=res_models,
                res_ids=res_ids,
            )
        )
        return [not refusal for refusal in refusals]
