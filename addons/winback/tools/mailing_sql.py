"""SQL shared by the win-back members' email figures, the campaign funnel and the
steps' unsubscriptions, all read from Email Marketing's traces (mailing.trace)."""

from odoo.tools import SQL

MEMBER_MODEL = "winback.campaign.member"

# Odoo's figures of a mailing (mailing.mailing._compute_statistics), per trace
TRACE_DELIVERED = ("sent", "open", "reply")
TRACE_OPENED = ("open", "reply")

# A member's email events, (key, label, SQL time of the event on trace t): the latest
# wins, the later in this list on a tie (Odoo's dates are to the second: a click opens
# the email in the same second). A bounce, a failure or a cancellation has no date of
# its own: its trace was last written then (and a bounce comes after the sending). The
# unsubscription is read from the blacklist (unsubscribed_traces). An email not sent
# (blacklisted, opted out) is the last event only when nothing else happened.
EVENTS = [
    (
        "queued",
        "Queued",
        SQL(
            "CASE WHEN t.trace_status IN ('outgoing', 'process', 'pending') THEN t.create_date END"
        ),
    ),
    (
        "cancelled",
        "Not sent",
        SQL("CASE WHEN t.trace_status = 'cancel' THEN GREATEST(t.write_date, t.create_date) END"),
    ),
    (
        "failed",
        "Failed",
        SQL("CASE WHEN t.trace_status = 'error' THEN GREATEST(t.write_date, t.create_date) END"),
    ),
    ("sent", "Sent", SQL("t.sent_datetime")),
    ("opened", "Opened", SQL("t.open_datetime")),
    ("clicked", "Clicked", SQL("t.links_click_datetime")),
    ("replied", "Replied", SQL("t.reply_datetime")),
    (
        "bounced",
        "Bounced",
        SQL("CASE WHEN t.trace_status = 'bounce' THEN GREATEST(t.write_date, t.sent_datetime) END"),
    ),
    ("unsubscribed", "Unsubscribed", None),
]


def unsubscribed_traces(traces):
    """Rows (trace_id, res_id, mass_mailing_id, unsubscribed_at) of the traces of
    ``traces`` (SQL selecting mailing_trace ids) whose member unsubscribed after them.

    Odoo's unsubscribe link on a non-list model blacklists the address
    (``_mailing_unsubscribe_from_document``); the entry keeps no mailing, so an
    unsubscription counts for the last email the member was sent before it (Odoo's
    dates are to the second: of two emails sent in the same second, the later id). The
    entry's ``write_date``, not its ``create_date``: unsubscribing again unarchives
    the old entry (``mail.blacklist._add``).
    """
    return SQL(
        """
        SELECT t.id AS trace_id, t.res_id, t.mass_mailing_id, bl.write_date AS unsubscribed_at
          FROM mailing_trace t
          JOIN winback_campaign_member m ON m.id = t.res_id
          JOIN res_partner p ON p.id = m.partner_id
          JOIN mail_blacklist bl
            ON bl.email = p.email_normalized AND bl.active
           AND bl.write_date > t.sent_datetime
         WHERE t.model = %(model)s AND t.id IN (%(traces)s)
           AND NOT EXISTS (
                SELECT 1 FROM mailing_trace later
                 WHERE later.model = t.model AND later.res_id = t.res_id
                   AND (later.sent_datetime, later.id) > (t.sent_datetime, t.id)
                   AND later.sent_datetime < bl.write_date)
        """,
        model=MEMBER_MODEL,
        traces=traces,
    )


def flush_trace_sources(env):
    """Flush what the trace figures read by hand-written SQL."""
    env["mailing.trace"].flush_model(
        [
            "model",
            "res_id",
            "mass_mailing_id",
            "trace_status",
            "sent_datetime",
            "open_datetime",
            "reply_datetime",
            "links_click_datetime",
        ]
    )
    env["mail.blacklist"].flush_model(["email", "active"])
    env["res.partner"].flush_model(["email_normalized"])
    env[MEMBER_MODEL].flush_model(["partner_id", "campaign_id", "is_holdout", "reactivated"])
