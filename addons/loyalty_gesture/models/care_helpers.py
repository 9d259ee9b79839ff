"""Plain helpers shared by the care models (no model)."""

import time
from datetime import timedelta

from odoo import fields
from odoo.service.server import SLEEP_INTERVAL
from odoo.tools import config


def count_by(model, field, records):
    """``{record: count}`` of the ``model`` rows whose many2one ``field`` is one of
    ``records``, in one grouped query (records without rows are missing)."""
    return dict(model._read_group([(field, "in", records.ids)], [field], ["__count"]))


def search_prefetched(model, domain, **kwargs):
    """``model.search(domain, **kwargs)`` that reads the records' columns in the same
    query, as reading their first field would next (one query, not two)."""
    names = [
        name
        for name, field in model._fields.items()
        if field.store
        and field.column_type
        and field.prefetch is True
        and field.is_accessible(model.env)
    ]
    return model.search_fetch(domain, names, **kwargs)


def window_action(env, xmlid, domain=None, context=None):
    """The window action ``xmlid``, on ``domain`` and with ``context`` when given."""
    action = env["ir.actions.act_window"]._for_xml_id(xmlid)
    if domain is not None:
        action["domain"] = domain
    if context is not None:
        action["context"] = context
    return action


def dialog_action(env, xmlid, context):
    """The window action ``xmlid`` (one without views of its own) with ``context``: one
    query, not the ten of a full action read (the grant wizard opens on every ticket)."""
    # sudo: as ``_for_xml_id``, an action's definition is readable by whoever may run it
    [action] = env.ref(xmlid).sudo().read(["name", "type", "res_model", "view_mode", "target"])
    views = [(False, mode) for mode in action["view_mode"].split(",")]
    return dict(action, views=views, context=context)


def cron_chunk_seconds():
    """How long the calls of one scheduled action may work in one pass of a cron worker,
    before the action returns and reports what remains so that Odoo calls it again.

    In workers mode a cron worker pings its watchdog, sleeps (up to ``SLEEP_INTERVAL``
    + 9 s unless a trigger wakes it), then runs every ready job, each up to
    ``MAX_BATCH_PER_CRON_JOB`` calls: all of it under one ``limit_time_real`` (or
    ``limit_time_real_cron``) and one ``limit_time_cpu``. An action gets a tenth of
    what the longest sleep leaves of them (5 s with Odoo's defaults): ten actions ready
    at once, and Email Marketing's queue beside them, still fit.
    """
    real = config["limit_time_real_cron"]
    if not real or real < 0:
        real = config["limit_time_real"]
    if real and real > 0:
        real = max(real - (SLEEP_INTERVAL + 10), real / 4)
    limits = [limit for limit in (config["limit_time_cpu"], real) if limit and limit > 0]
    return min(limits, default=50) / 10


# Seconds one row of each kind of chunk took last, in this process (see CronClock).
_ROW_SECONDS = {}
# The pace assumed before the first chunk of a kind: ``maximum`` rows in this many seconds.
_FIRST_GUESS_SECONDS = 3.0
# Where the calls of one job in one pass of a cron worker keep the time the first began:
# Odoo makes them all on the same cursor (``ir.cron._run_job``).
PASS_STARTED = "care_cron_pass_started"


class CronClock:
    """The time left to a scheduled action in this pass of the cron worker (see
    :func:`cron_chunk_seconds`), and how many rows the next chunk may take to end
    within it.

    Odoo calls an action that reports work left up to ten times in a row; the time is
    the pass's, not each call's, so those calls share it; a call that finds it spent
    hands over (:meth:`hand_over`). Called outside a scheduled action (tests, shell),
    each call has the whole time.
    """

    def __init__(self, env=None, seconds=None):
        now = time.monotonic()
        started = now
        if env is not None and env.context.get("cron_id"):
            started = env.cr.cache.setdefault(PASS_STARTED, now)
        self.env = env
        self.deadline = started + (seconds or cron_chunk_seconds())
        self.late = now >= self.deadline

    def hand_over(self):
        """Whether an earlier call of this pass spent its time (``late``): the call then
        returns doing nothing, Odoo moves on to the other ready jobs and the pass ends,
        pinging the worker's watchdog. A trigger brings the action back in the next pass
        (it outlives this one: Odoo removes only the triggers older than the pass)."""
        if self.late:
            # sudo: the running action's own schedule
            self.env["ir.cron"].sudo().browse(self.env.context["cron_id"])._trigger()
        return self.late

    def expired(self):
        return time.monotonic() >= self.deadline

    def chunk_size(self, kind, maximum):
        """Rows of ``kind`` that fit in the time left at the pace of the last chunk of
        that kind (at least one, at most ``maximum``)."""
        left = max(0.0, self.deadline - time.monotonic())
        pace = _ROW_SECONDS.get(kind, _FIRST_GUESS_SECONDS / maximum)
        return max(1, min(maximum, int(left / pace)))

    def record(self, kind, rows, seconds):
        """Remember the pace of a chunk of ``rows`` rows of ``kind`` that took ``seconds``."""
        if rows:
            _ROW_SECONDS[kind] = seconds / rows


def cron_due_since(env, triggers=True):
    """Since when the scheduled action now running is due: its planned time if passed, and
    with ``triggers`` the time of its earliest due trigger (a button's *run now*); None
    when neither is due. Odoo keeps both until a call reports nothing left, so every call
    of one pass gets the same answer. Called outside a scheduled action (shell, tests):
    a second from now, i.e. everything is due (callers then take each unit once per call).
    """
    now = fields.Datetime.now()
    cron_id = env.context.get("cron_id")
    if not cron_id:
        return now + timedelta(seconds=1)
    # sudo: the action's own schedule, whoever it runs as
    cron = env["ir.cron"].sudo().browse(cron_id)
    times = [cron.nextcall] if cron.nextcall and cron.nextcall <= now else []
    if triggers:
        triggers_sudo = env["ir.cron.trigger"].sudo()  # sudo: as above
        trigger = triggers_sudo.search(
            [("cron_id", "=", cron_id), ("call_at", "<=", now)], order="call_at", limit=1
        )
        times += trigger.mapped("call_at")
    return min(times, default=None)


def report_cron_progress(env, done, remaining):
    """``ir.cron._notify_progress`` and, with work left, a trigger of the running action:
    Odoo calls an action again at once only when ``ODOO_NOTIFY_CRON_CHANGES`` is set;
    otherwise its cron workers sleep a minute between passes, ten calls a minute. The
    trigger wakes them when this call commits. A call that did nothing (the rows left are
    another worker's) leaves the waking to that worker."""
    env["ir.cron"]._notify_progress(done=done, remaining=remaining)
    cron_id = env.context.get("cron_id")
    if remaining and done and cron_id:
        # sudo: the running action's own schedule
        env["ir.cron"].sudo().browse(cron_id)._trigger()


def commit_cron_chunk(env):
    """Commit the chunk just done when running as a scheduled action: a crash or the
    worker's time limit then loses the chunk in progress only, and other workers see it
    done. Called directly (tests, shell), the caller owns the transaction."""
    if env.context.get("cron_id"):
        env.cr.commit()  # pylint: disable=invalid-commit


def background_notice(message, reload=True):
    """What a button that queued background work returns: a notification saying so,
    then (``reload``) the view reloaded to show the progress."""
    params = {"type": "info", "message": message}
    if reload:
        params["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
    return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
