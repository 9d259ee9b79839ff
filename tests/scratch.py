"""Separate connections on committed data, for what a TransactionCase cannot show.

A TransactionCase's cursors share one connection and never commit, so locks and
serialization failures never happen there. These helpers work on the scratch database
the test command copies from the fully installed one (``CARE_SCRATCH_DB``): each thread
gets its own cursor, transactions really commit, and a barrier lines the threads up.
"""

import os
import threading
import unittest
from functools import partial

import odoo
from odoo import SUPERUSER_ID, api
from odoo.service.model import retrying


def scratch_registry():
    name = os.environ.get("CARE_SCRATCH_DB")
    if not name:
        raise unittest.SkipTest("CARE_SCRATCH_DB is not set: run through tests/run.sh")
    # Loading a registry with tests enabled would run the addons' at_install tests again.
    test_enable = odoo.tools.config["test_enable"]
    odoo.tools.config["test_enable"] = False
    try:
        return odoo.modules.registry.Registry(name)
    finally:
        odoo.tools.config["test_enable"] = test_enable


def setup(registry, func):
    """Run ``func(env)`` as superuser in its own committed transaction; return its result."""
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        result = func(env)
        # The commit flushes only the environments still alive: flush this one now,
        # or pending writes (not creates) would be lost with it.
        env.flush_all()
        return result


def race(registry, calls):
    """Run each ``(uid, func)`` in its own thread and transaction, all released at once.

    ``func(env)`` runs the way Odoo runs an RPC call (``retrying``: serialization failures
    are retried on a fresh snapshot). Returns one ``("ok", value)`` or ``("error", exc)``
    per call, in order.
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def worker(index, uid, func):
        with registry.cursor() as cr:
            env = api.Environment(cr, uid, {})
            barrier.wait()
            try:
                outcomes[index] = ("ok", retrying(partial(func, env), env))
            except Exception as exc:
                cr.rollback()
                outcomes[index] = ("error", exc)

    threads = [
        threading.Thread(target=worker, args=(i, uid, func)) for i, (uid, func) in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes
