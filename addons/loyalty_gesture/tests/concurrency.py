"""Races on committed data: each thread with its own cursor, as Odoo runs RPC calls."""

import contextlib
import threading

from odoo import SUPERUSER_ID, api
from odoo.tools import mute_logger


@contextlib.contextmanager
def committed_env(registry):
    """A superuser environment on a new cursor of ``registry``, committed on exit.

    Odoo's test runner holds ``Registry._lock`` while tests run, and a thread looking the
    registry up by name would wait for it forever: the cursor gets its transaction here
    (``api.Environment`` would look it up), and emails stay queued (sending them after the
    commit looks it up).
    """
    with registry.cursor() as cr:
        cr.transaction = api.Transaction(registry)
        yield api.Environment(cr, SUPERUSER_ID, {"mail_notify_force_send": False})


def run_twice_at_once(target, *args_list):
    """Run ``target`` in two threads (it waits on a barrier to start both together), with
    the arguments of ``args_list`` if given, one tuple per thread. The serialization
    failures of the race are retried, not logged as errors."""
    threads = [threading.Thread(target=target, args=args) for args in (args_list or ((), ()))]
    with mute_logger("odoo.sql_db"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
