"""Races on committed data: each thread with its own cursor, as Odoo runs RPC calls."""

import contextlib
import threading
from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import DummyRLock, Registry
from odoo.tools import mute_logger


@contextlib.contextmanager
def committed_env(registry):
    """A superuser environment on a new cursor of ``registry``, committed on exit; emails
    stay queued."""
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {"mail_notify_force_send": False})


def run_twice_at_once(target, *args_list):
    """Run ``target`` in two threads (it waits on a barrier to start both together), with
    the arguments of ``args_list`` if given, one tuple per thread.

    Odoo's test runner holds ``Registry._lock`` while tests run: threads looking the
    registry up would wait for it forever, so the race runs without it, as Odoo's HttpCase
    does. The serialization failures of the race are retried, not logged as errors.
    """
    threads = [threading.Thread(target=target, args=args) for args in (args_list or ((), ()))]
    with patch.object(Registry, "_lock", DummyRLock()), mute_logger("odoo.sql_db"):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
