"""Races on committed data: each thread with its own cursor, as Odoo runs RPC calls."""

import contextlib
import threading

from odoo import SUPERUSER_ID, api


@contextlib.contextmanager
def committed_env(registry):
    """A superuser environment on a new cursor of ``registry``, committed on exit.

    The cursor gets its transaction here: ``api.Environment`` would otherwise look the
    registry up under ``Registry._lock``, which Odoo's test runner holds while tests run
    (threads would wait for it forever).
    """
    with registry.cursor() as cr:
        cr.transaction = api.Transaction(registry)
        yield api.Environment(cr, SUPERUSER_ID, {})


def run_twice_at_once(target, *args_list):
    """Run ``target`` in two threads (it waits on a barrier to start both together), with
    the arguments of ``args_list`` if given, one tuple per thread."""
    threads = [threading.Thread(target=target, args=args) for args in (args_list or ((), ()))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
