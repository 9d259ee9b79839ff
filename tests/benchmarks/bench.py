"""Time the suite's set-based operations against a bare SQL baseline, in the same run.

Usage (through tests/benchmarks/run.sh): python3 bench.py CONF TEMPLATE_DB SCALE [SCALE...]
Writes tests/benchmarks/RESULTS.md.
"""

import datetime
import math
import os
import platform
import subprocess
import sys
import threading
import time

import psutil

import odoo
from odoo import SUPERUSER_ID, api

sys.path.insert(0, os.path.dirname(__file__))
import datagen
import operations

HERE = os.path.dirname(os.path.abspath(__file__))


class PeakRss:
    """Peak resident memory of this process while the block runs (sampled every 5 ms)."""

    def __enter__(self):
        self.proc = psutil.Process()
        self.base = self.peak = self.proc.memory_info().rss
        self.running = True
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _sample(self):
        while self.running:
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        self.delta_mb = (self.peak - self.base) / 2**20


def measure(env, func):
    cr = env.cr
    env.invalidate_all()
    queries = cr.sql_log_count
    with PeakRss() as mem:
        start = time.perf_counter()
        rows = func(env)
        env.flush_all()
        elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "queries": cr.sql_log_count - queries,
        "rows": rows,
        "mem_mb": mem.delta_mb,
    }


def run_scale(template, scale):
    db = "bench_%d" % scale
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-T", template, db], check=True)
    registry = odoo.modules.registry.Registry(db)
    results = []
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        orders = datagen.generate(env, scale)
        cr.commit()
        print(
            f"[bench] {scale} customers, {orders} orders generated in "
            f"{time.perf_counter() - start:.1f} s",
            flush=True,
        )
        for op in operations.available(env):
            op.prepare(env)
            cr.commit()
            odoo_run = measure(env, op.odoo)
            cr.rollback()
            base_run = measure(env, op.baseline)
            cr.rollback()
            problems = op.check(env) if hasattr(op, "check") else None
            results.append((op, odoo_run, base_run, problems))
            print(
                f"[bench] {scale:>8} {op.name:<28} odoo {odoo_run['seconds']:8.2f} s "
                f"({odoo_run['queries']} queries) sql {base_run['seconds']:8.2f} s "
                f"ratio {odoo_run['seconds'] / max(base_run['seconds'], 1e-6):6.1f}",
                flush=True,
            )
    registry.delete(db)
    odoo.sql_db.close_db(db)
    subprocess.run(["dropdb", db], check=True)
    return orders, results


def write_results(all_results, scales):
    lines = [
        "# Benchmarks",
        "",
        f"Written by `tests/benchmarks/run.sh` on {datetime.datetime.now():%Y-%m-%d %H:%M} "
        f"on {platform.node() or 'this machine'} ({os.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, Python {platform.python_version()}, "
        f"PostgreSQL {os.environ.get('CARE_PG_VERSION', '?')}).",
        "",
        "Each operation runs through the addons (Odoo) and as a bare SQL baseline doing the minimum "
        "work for the same result on the same data, in the same run. *ratio* = Odoo time / SQL time; "
        "*queries* = SQL statements the Odoo side issued; *memory* = peak growth of the process RSS.",
        "",
        "| operation | customers | orders | Odoo s | SQL s | ratio | rows/s | queries | memory MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_op = {}
    for scale in scales:
        orders, results = all_results[scale]
        for op, o, b, _problems in results:
            by_op.setdefault(op.name, []).append((scale, o))
            lines.append(
                f"| {op.name} | {scale:,} | {orders:,} | {o['seconds']:.2f} | {b['seconds']:.2f} "
                f"| {o['seconds'] / max(b['seconds'], 1e-6):.1f} "
                f"| {o['rows'] / max(o['seconds'], 1e-6):,.0f} | {o['queries']} | {o['mem_mb']:.0f} |"
            )
    if len(scales) > 1:
        lines += [
            "",
            "Growth exponent k in time ∝ customers^k, between the smallest and largest scale "
            "(1 = linear):",
            "",
            "| operation | k | queries at each scale |",
            "| --- | ---: | --- |",
        ]
        for name, runs in by_op.items():
            (s0, r0), (s1, r1) = runs[0], runs[-1]
            k = math.log(max(r1["seconds"], 1e-6) / max(r0["seconds"], 1e-6)) / math.log(s1 / s0)
            lines.append(
                f"| {name} | {k:.2f} | {' → '.join(str(r['queries']) for _s, r in runs)} |"
            )
    lines += ["", "Operations:", ""]
    for op in operations.OPERATIONS:
        lines.append(f"- **{op.name}**: {op.__doc__.strip()}")
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    conf, template, *scales = sys.argv[1:]
    odoo.tools.config.parse_config(["-c", conf])
    scales = [int(s) for s in scales]
    all_results = {scale: run_scale(template, scale) for scale in scales}
    write_results(all_results, scales)
    print(open(os.path.join(HERE, "RESULTS.md")).read())


if __name__ == "__main__":
    main()
