"""Calling a scheduled action the way Odoo's cron worker does, one call after another."""

import contextlib
from unittest.mock import patch

from odoo.tools import config

from ..models.care_helpers import PASS_STARTED


@contextlib.contextmanager
def tiny_cron_limits():
    """Worker limits of a few milliseconds: each call of a scheduled action does one
    sub-batch (``cron_chunk_seconds()`` is tiny), as a big backlog would under real limits."""
    with patch.dict(
        config.options,
        {"limit_time_cpu": 0.01, "limit_time_real": 0.01, "limit_time_real_cron": 0},
    ):
        yield


def new_cron_pass(env):
    """Start a new pass of the cron worker for the next call: Odoo makes each pass on a
    cursor of its own, a test makes them all on one (see ``care_helpers.CronClock``)."""
    env.cr.cache.pop(PASS_STARTED, None)


def call_until_done(testcase, xmlid, method, *args, max_calls=200, **kwargs):
    """Call ``method`` of the model of the scheduled action ``xmlid`` with the progress
    record Odoo creates before each call, until it reports nothing left.

    Returns ``[(done, remaining)]`` of each call; fails if a call reports work left but
    nothing done (Odoo would then stop calling it) or if it never ends.
    """
    cron = testcase.env.ref(xmlid)
    calls = []
    for __ in range(max_calls):
        __, progress = cron._add_progress()
        model = testcase.env[cron.model_id.model].with_context(ir_cron_progress_id=progress.id)
        getattr(model, method)(*args, **kwargs)
        calls.append((progress.done, progress.remaining))
        if not progress.remaining:
            return calls
        testcase.assertTrue(progress.done, f"call {len(calls)} did nothing but left work")
    testcase.fail(f"{method} still had work after {max_calls} calls: {calls[-3:]}")
    return calls
