"""Start Odoo as ``odoo-bin`` does (``python3 tests/odoo_server.py <args>``), and in
workers mode for tests/test_workers.py and tests/benchmarks/workers.py.

``python3 -m odoo`` cannot run in workers mode: the prefork server respawns its gevent
process as ``python3 sys.argv[0] gevent``, which a package's ``__main__.py`` is not.
"""

import os
import socket
import subprocess
import sys

from odoo.cli.command import main


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_workers_server(conf, db, port, cron_workers, limits, log):
    """An Odoo server on ``db`` alone with two HTTP workers, ``cron_workers`` cron
    workers and the worker ``limits`` (command-line options), logging to ``log``.

    Without ``ODOO_NOTIFY_CRON_CHANGES``: the jobs' own triggers must keep the cron
    workers awake (care_helpers.report_cron_progress)."""
    args = [
        sys.executable,
        os.path.abspath(__file__),
        "-c",
        conf,
        "-d",
        db,
        f"--db-filter=^{db}$",
        "--workers=2",
        f"--max-cron-threads={cron_workers}",
        *limits,
        f"--http-port={port}",
        f"--gevent-port={free_port()}",
        "--log-level=info",
        "--no-database-list",
    ]
    env = {k: v for k, v in os.environ.items() if k != "ODOO_NOTIFY_CRON_CHANGES"}
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env)


if __name__ == "__main__":
    main()
