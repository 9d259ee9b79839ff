import time

import psycopg2

from odoo import api, fields, models
from odoo.addons.loyalty_gesture.models.care_helpers import (
    CronClock,
    commit_cron_chunk,
    report_cron_progress,
)
from odoo.tools import SQL

# Most members a chunk of the campaign job takes (each chunk is one transaction); fewer
# when the pace of the last chunk says they would not fit in the pass's time.
FIRST_STEP_CHUNK = 200
STEP_CHUNK = 500


class WinbackCampaign(models.Model):
    """The campaigns' background job: targeting, the D0 offers and emails, reminders and
    calls, in chunks that several cron workers take at once without overlap.

    *Start* only validates and triggers the job, so that a campaign of 100,000 customers
    never runs inside a web request. Each chunk claims its rows with ``FOR UPDATE SKIP
    LOCKED`` and is committed on its own: a crash or a restart resumes where it stopped,
    a stopped campaign takes no further chunk.
    """

    _inherit = "winback.campaign"  # pylint: disable=consider-merging-classes-inherited

    targeted_date = fields.Datetime(
        string="Targeted on",
        readonly=True,
        copy=False,
        help="When the segment's customers last joined the campaign (daily while a "
        "continuous campaign runs).",
    )
    started_by_id = fields.Many2one(
        "res.users",
        string="Started by",
        readonly=True,
        copy=False,
        help="The D0 offers are requested in this user's name, under their charter limits.",
    )
    job_state = fields.Selection(
        [("queued", "Starting"), ("running", "Contacting")],
        compute="_compute_progress",
        string="Background job",
    )
    pending_count = fields.Integer(compute="_compute_progress", string="Still to contact")
    offer_count = fields.Integer(compute="_compute_progress", string="Offers issued")
    emailed_count = fields.Integer(compute="_compute_progress", string="Emails queued")

    @api.depends("state", "targeted_date", "member_ids.state")
    def _compute_progress(self):
        members = self.env["winback.campaign.member"]
        pending = dict(
            members._read_group(
                [
                    ("campaign_id", "in", self.ids),
                    ("state", "=", "targeted"),
                    ("awaiting_winner", "=", False),  # an A/B test's members awaiting its winner
                ],
                ["campaign_id"],
                ["__count"],
            )
        )
        offers = dict(
            members._read_group(
                [("campaign_id", "in", self.ids), ("gesture_id", "!=", False)],
                ["campaign_id"],
                ["__count"],
            )
        )
        emailed = dict(
            members._read_group(
                [("campaign_id", "in", self.ids), ("contacted", "=", True)],
                ["campaign_id"],
                ["__count"],
            )
        )
        for campaign in self:
            campaign.pending_count = pending.get(campaign, 0)
            campaign.offer_count = offers.get(campaign, 0)
            campaign.emailed_count = emailed.get(campaign, 0)
            if campaign.state != "running":
                campaign.job_state = False
            elif not campaign.targeted_date:
                campaign.job_state = "queued"
            else:
                campaign.job_state = "running" if campaign.pending_count else False

    def _trigger_job(self):
        """Wake the campaign job (every shard of it) now."""
        # sudo: managers start campaigns, the scheduled actions are the system's
        crons = self.env["ir.cron"].sudo().search([("code", "like", "_cron_process_campaigns")])
        for cron in crons:
            cron._trigger()

    # --- the job ---

    @api.model
    def _cron_process_campaigns(self):
        """Targeting, D0, reminders, calls and what the mailings sent, a chunk at a time
        while the time of this pass of the cron worker lasts (``care_helpers.CronClock``);
        then, with nothing left, the results of every campaign. Safe to rerun and to run
        on several workers at once."""
        clock = CronClock(self.env)
        if clock.hand_over():
            return
        done = 0
        for kind, chunk, maximum in (
            ("target", self._job_target_chunk, 1),
            ("first_step", self._job_first_step_chunk, FIRST_STEP_CHUNK),
            ("reminder", self._job_reminder_chunk, STEP_CHUNK),
            ("call", self._job_call_chunk, STEP_CHUNK),
            ("sync", self._job_sync_chunk, STEP_CHUNK),
            ("requeue", self._job_requeue_chunk, STEP_CHUNK),
        ):
            # at least one chunk per call, however short its time
            while not (done and clock.expired()):
                started = time.monotonic()
                count = chunk(clock.chunk_size(f"winback.{kind}", maximum))
                if not count:
                    break
                clock.record(f"winback.{kind}", count, time.monotonic() - started)
                done += count
                self._commit_chunk(done)
            if done and clock.expired():
                break
        remaining = self._job_remaining()
        if not remaining:
            # campaigns that are over keep measuring relapses
            self.search([("state", "in", ("running", "done"))], order="id")._update_results()
        report_cron_progress(self.env, done, remaining)

    def _commit_chunk(self, done):
        """Record the progress and commit the chunk, when run as a scheduled action
        (called directly, as in tests, the caller owns the transaction)."""
        if self.env.context.get("cron_id"):
            self.env["ir.cron"]._notify_progress(done=done, remaining=1)
            commit_cron_chunk(self.env)

    def _claim(self, query, limit, alias):
        """The ids ``query`` selects (member or campaign ids), at most ``limit``, locked
        for this transaction and skipped by the others. Only the rows of ``alias`` (the
        table whose ids are selected) are locked: locking the campaign a member query
        joins would keep a second worker off every member of that campaign."""
        self.env.flush_all()
        try:
            with self.env.cr.savepoint():
                rows = self.env.execute_query(
                    SQL(
                        "%s LIMIT %s FOR UPDATE OF %s SKIP LOCKED",
                        query,
                        limit,
                        SQL.identifier(alias),
                    ),
                )
        except psycopg2.errors.SerializationFailure:
            # another worker changed these rows since this transaction began: theirs
            return []
        return [row[0] for row in rows]

    def _job_queries(self):
        """What the job still has to do, by chunk kind: the rows (campaign or member ids)
        in the order they are taken."""
        now = fields.Datetime.now()
        today = fields.Datetime.to_datetime(fields.Date.context_today(self))
        return {
            "target": SQL(
                "SELECT c.id FROM winback_campaign c WHERE c.state = 'running' "
                "AND (c.targeted_date IS NULL OR (c.continuous AND c.targeted_date < %s)) "
                "ORDER BY c.id",
                today,
            ),
            "first_step": SQL(
                """
                SELECT m.id FROM winback_campaign_member m
                  JOIN winback_campaign c ON c.id = m.campaign_id
                 WHERE c.state = 'running' AND c.targeted_date IS NOT NULL
                   AND m.state = 'targeted' AND NOT COALESCE(m.awaiting_winner, FALSE)
                 ORDER BY m.campaign_id, m.revenue_before DESC, m.id
                """
            ),
            "reminder": SQL(
                """
                SELECT m.id FROM winback_campaign_member m
                  JOIN winback_campaign c ON c.id = m.campaign_id
                 WHERE c.state = 'running' AND c.reminder_days > 0
                   AND c.reminder_template_id IS NOT NULL
                   AND m.state = 'contacted' AND NOT COALESCE(m.reminded, FALSE)
                   AND m.contact_date <= %s - make_interval(days => c.reminder_days)
                 ORDER BY m.campaign_id, m.id
                """,
                now,
            ),
            "call": SQL(
                """
                SELECT m.id FROM winback_campaign_member m
                  JOIN winback_campaign c ON c.id = m.campaign_id
                 WHERE c.state = 'running' AND m.state = 'contacted'
                   AND NOT COALESCE(m.call_scheduled, FALSE)
                   AND m.contact_date <= %s - make_interval(days => c.call_delay_days)
                 ORDER BY m.campaign_id, m.id
                """,
                now,
            ),
            # the step mailings' outcome (winback_campaign_mailing)
            "sync": self._job_sync_query(),
            "requeue": self._job_requeue_query(),
        }

    def _job_remaining(self):
        """How many campaigns and members the job still has to take."""
        self.env.flush_all()
        counts = SQL(" + ").join(
            SQL("(SELECT count(*) FROM (%s) q)", query) for query in self._job_queries().values()
        )
        [(remaining,)] = self.env.execute_query(SQL("SELECT %s", counts))
        return remaining

    def _job_target_chunk(self, limit=1):
        """Turn the segment of started campaigns (or of continuous ones, once a day)
        into members, ``limit`` campaigns at a time."""
        ids = self._claim(self._job_queries()["target"], limit, "c")
        if not ids:
            return 0
        campaigns = self.browse(ids)
        for campaign in campaigns:
            campaign._target()
        # sudo: the job's bookkeeping, not a field a user sets
        campaigns.sudo().targeted_date = fields.Datetime.now()
        return len(campaigns)

    def _job_first_step_chunk(self, limit):
        """D0 for one chunk of the members waiting for it, best customers first."""
        members = self._claim_members("first_step", limit)
        done = 0
        for campaign, chunk in members.grouped("campaign_id").items():
            if not campaign._lock_budget():
                continue
            done += len(chunk)
            # the offers are the starter's, checked by the charter as if granted at Start
            starter = campaign.started_by_id or self.env.user
            campaign = campaign.with_user(starter).with_company(campaign.company_id)
            accepted = campaign._grant_offers(chunk.with_env(campaign.env))
            if accepted:
                campaign._send_first_emails(accepted)
        return done

    def _job_reminder_chunk(self, limit):
        members = self._claim_members("reminder", limit)
        done = 0
        for campaign, chunk in members.grouped("campaign_id").items():
            if campaign._lock_budget():
                campaign._send_reminders(chunk)
                done += len(chunk)
        return done

    def _job_call_chunk(self, limit):
        members = self._claim_members("call", limit)
        for campaign, chunk in members.grouped("campaign_id").items():
            campaign._schedule_calls(chunk)
        return len(members)

    def _claim_members(self, kind, limit):
        ids = self._claim(self._job_queries()[kind], limit, "m")
        return self.env["winback.campaign.member"].browse(ids)

    def _lock_budget(self):
        """Whether this chunk may spend from the campaign's budget: two workers take turns
        on one campaign's budget, and one that began before the other committed leaves the
        chunk to a later call (its snapshot would not see what the other spent)."""
        self.ensure_one()
        if not self.budget:
            return True
        try:
            with self.env.cr.savepoint():
                self.env.execute_query(
                    SQL(
                        "UPDATE winback_campaign SET write_date = write_date WHERE id = %s", self.id
                    )
                )
        except psycopg2.errors.SerializationFailure:
            return False
        return True
