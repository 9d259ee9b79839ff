"""Time the suite's set-based operations against a bare SQL baseline, in the same run.

Usage (through tests/benchmarks/run.sh): python3 bench.py CONF TEMPLATE_DB SCALE [SCALE...]
Stores each scale's figures in tests/benchmarks/results/<scale>.json and writes
tests/benchmarks/RESULTS.md from every stored scale (so 1M may run separately).
"""

import datetime
import json
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
from odoo.tools import SQL

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


ADDONS = os.path.join(os.path.dirname(os.path.dirname(HERE)), "addons") + os.sep


class StatementTimes:
    """Time of every SQL statement run in the block, summed per addon function that
    issued it (the innermost frame under addons/): where an operation's time goes."""

    def __enter__(self):
        self.times = {}
        self.original = odoo.sql_db.Cursor.execute
        times, original = self.times, self.original

        def execute(cursor, query, params=None, log_exceptions=True):
            start = time.perf_counter()
            try:
                return original(cursor, query, params, log_exceptions)
            finally:
                frame, where = sys._getframe(1), "?"
                while frame:
                    if frame.f_code.co_filename.startswith(ADDONS):
                        path = frame.f_code.co_filename[len(ADDONS) :]
                        where = f"{path}:{frame.f_code.co_name}"
                        break
                    frame = frame.f_back
                seconds, count = times.get(where, (0.0, 0))
                times[where] = (seconds + time.perf_counter() - start, count + 1)

        odoo.sql_db.Cursor.execute = execute
        return self

    def __exit__(self, *exc):
        odoo.sql_db.Cursor.execute = self.original

    def summary(self, elapsed, top=5):
        """{"sql_s": statements' time, "python_s": the rest, "top": [[where, s, n], ...]}"""
        sql = sum(seconds for seconds, _count in self.times.values())
        ranked = sorted(self.times.items(), key=lambda item: -item[1][0])[:top]
        return {
            "sql_s": round(sql, 3),
            "python_s": round(elapsed - sql, 3),
            "top": [[where, round(seconds, 3), count] for where, (seconds, count) in ranked],
        }


def measure(env, func, profile=False):
    cr = env.cr
    env.invalidate_all()
    queries = cr.sql_log_count
    with PeakRss() as mem:
        statements = StatementTimes() if profile else None
        if statements:
            statements.__enter__()
        try:
            start = time.perf_counter()
            rows = func(env)
            env.flush_all()
            elapsed = time.perf_counter() - start
        finally:
            if statements:
                statements.__exit__()
    result = {
        "seconds": elapsed,
        "queries": cr.sql_log_count - queries,
        "rows": rows,
        "mem_mb": mem.delta_mb,
    }
    if statements:
        result["profile"] = statements.summary(elapsed)
    return result


def run_scale(template, scale, save=None):
    """The scale's figures; ``save(run)`` after each operation (a run stopped on the way
    keeps the operations done)."""
    db = "bench_%d" % scale
    # CARE_BENCH_REUSE=1 (bench.py run by hand on a kept cluster): the scale's database is
    # kept, and used again as it is when it exists (no new customers generated)
    reuse = os.environ.get("CARE_BENCH_REUSE") == "1"
    exists = subprocess.run(["psql", "-lqt"], capture_output=True, text=True, check=True)
    exists = db in {line.split("|")[0].strip() for line in exists.stdout.splitlines()}
    if not (reuse and exists):
        subprocess.run(["dropdb", "--if-exists", db], check=True)
        subprocess.run(["createdb", "-T", template, db], check=True)
    registry = odoo.modules.registry.Registry(db)
    results = []
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        if reuse and exists:
            cr.execute(
                SQL(
                    "SELECT count(*) FROM sale_order so "
                    "JOIN res_partner p ON p.id = so.partner_id WHERE p.ref = %s",
                    datagen.TAG,
                )
            )
            orders = cr.fetchone()[0]
            print(f"[bench] {scale} customers, {orders} orders: {db} used again", flush=True)
        else:
            orders = datagen.generate(env, scale)
            cr.commit()
            print(
                f"[bench] {scale} customers, {orders} orders generated in "
                f"{time.perf_counter() - start:.1f} s",
                flush=True,
            )
        only = [n.strip() for n in os.environ.get("CARE_BENCH_ONLY", "").split(",") if n.strip()]
        for op in operations.available(env):
            if only and op.name not in only:
                continue
            if scale > getattr(op, "max_scale", scale):
                print(f"[bench] {scale:>8} {op.name:<28} not run above {op.max_scale:,}")
                continue
            op.extra = {}
            op.prepare(env)
            cr.commit()
            odoo_run = measure(env, op.odoo, profile=getattr(op, "profile", False))
            problems = op.check(env) if hasattr(op, "check") else None
            cr.rollback()
            base_run = measure(env, op.baseline)
            cr.rollback()
            if "untimed_s" in op.extra:  # a set-up step between the timed parts, not timed
                odoo_run["seconds"] -= op.extra["untimed_s"]
                odoo_run["queries"] -= op.extra.get("untimed_queries", 0)
            if "median_s" in op.extra:  # one-record operations: the median of repeated runs
                odoo_run["seconds"] = op.extra["median_s"]
                base_run["seconds"] = op.extra["baseline_median_s"]
                odoo_run["queries"] = op.extra["queries_1000"]
            results.append(
                {
                    "name": op.name,
                    "odoo": odoo_run,
                    "sql": base_run,
                    "problems": problems,
                    "extra": op.extra,
                }
            )
            print(
                f"[bench] {scale:>8} {op.name:<28} odoo {odoo_run['seconds']:8.3f} s "
                f"({odoo_run['queries']} queries) sql {base_run['seconds']:8.3f} s "
                f"ratio {odoo_run['seconds'] / max(base_run['seconds'], 1e-6):6.1f}"
                f"{' ' + str(op.extra) if op.extra else ''}"
                f"{' PROBLEM: ' + problems if problems else ''}",
                flush=True,
            )
            if save:
                save(_scale_run(scale, orders, results))
    registry.delete(db)
    odoo.sql_db.close_db(db)
    if not reuse:
        subprocess.run(["dropdb", db], check=True)
    return _scale_run(scale, orders, results)


def _scale_run(scale, orders, results):
    return {
        "scale": scale,
        "orders": orders,
        "date": f"{datetime.datetime.now():%Y-%m-%d %H:%M}",
        "results": list(results),
    }


def _ratio(run):
    return run["odoo"]["seconds"] / max(run["sql"]["seconds"], 1e-6)


# operation: (what is checked, check(run, runs by scale) -> bool or None when not measured)
TARGETS = {
    "win-back scoring": (
        "≤ 1.5 x bare SQL at the largest scale",
        lambda run, _runs: _ratio(run) <= 1.5,
    ),
    "campaign targeting": (
        "≤ 2 x a bare SQL insert of the same rows",
        lambda run, _runs: _ratio(run) <= 2.0,
    ),
    "customer metrics": ("≤ 2 x bare SQL", lambda run, _runs: _ratio(run) <= 2.0),
    "dashboard load": (
        "the refresh of 12 months and the reads ≤ 3 x bare SQL",
        lambda run, _runs: _ratio(run) <= 3.0,
    ),
    "coupon issuance": (
        "100,000 coupons ≤ 60 s (time per coupon times 100,000, from ≥ 50,000 issued)",
        lambda run, _runs: (
            run["odoo"]["seconds"] * 1e5 / run["odoo"]["rows"] <= 60
            if run["odoo"]["rows"] >= 5e4
            else None
        ),
    ),
    "NPS/CSAT aggregation": ("≤ 2 x bare SQL", lambda run, _runs: _ratio(run) <= 2.0),
    "dashboard open": (
        "≤ 1 s (stored figures, the refresh in the background)",
        lambda run, _runs: run["odoo"]["seconds"] <= 1.0,
    ),
    "gesture effects (nightly)": ("≤ 2 x bare SQL", lambda run, _runs: _ratio(run) <= 2.0),
    "grant wizard (one open)": (
        "median ≤ 100 ms and ≤ 20 queries per open at every scale, the same with 10 and "
        "1,000 orders",
        lambda run, runs: all(
            r["odoo"]["seconds"] <= 0.1
            and r["extra"]["queries_10"] == r["extra"]["queries_1000"] <= 20
            for _scale, r in runs
        ),
    ),
    **{
        "screen: " + name: (
            "opens in ≤ 2 s (its RPCs, as a Care manager)",
            lambda run, _runs: run["odoo"]["seconds"] <= 2.0,
        )
        for name in (
            "customer statuses",
            "campaign members",
            "gestures",
            "satisfaction graph",
            "satisfaction pivot",
        )
    },
}


def _screen_lines(by_op):
    """The screens' section of RESULTS.md (empty when no screen was timed)."""
    lines = []
    screens = [(name, op_runs) for name, op_runs in by_op.items() if name.startswith("screen: ")]
    if screens:
        lines += [
            "",
            "Screens: each RPC the web client sends when the screen opens, as a Care manager, "
            "the statements they ran and the slowest one (its `EXPLAIN (ANALYZE, BUFFERS)` in "
            "`results/explain/<customers>-<screen>.md` when it took ≥ 50 ms):",
            "",
            "| screen | customers | opens in | RPCs | statements | slowest statement |",
            "| --- | ---: | ---: | --- | ---: | ---: |",
        ]
        for name, op_runs in screens:
            for scale, run in op_runs:
                e = run["extra"]
                rpcs = ", ".join(
                    f"{k} {1000 * v:.0f} ms"
                    for k, v in e.items()
                    if k.startswith(("web_", "read_group")) and isinstance(v, float)
                )
                lines.append(
                    f"| {name[len('screen: ') :]} | {scale:,} | {run['odoo']['seconds']:.3f} s "
                    f"| {rpcs} | {e.get('statements', '')} "
                    f"| {1000 * e.get('slowest_statement_s', 0):.0f} ms |"
                )
        # what was measured by hand around the runs (indexes before/after, causes)
        notes = os.path.join(HERE, "results", "screens.md")
        if os.path.exists(notes):
            lines += ["", open(notes).read().rstrip("\n")]
    return lines


def _profile_lines(by_op):
    """Where the time of the profiled operations goes (bench.StatementTimes)."""
    lines = []
    for name, op_runs in by_op.items():
        profiled = [(scale, run) for scale, run in op_runs if run["odoo"].get("profile")]
        if not profiled:
            continue
        if not lines:
            lines += [
                "",
                "Where the Odoo side's time goes: the SQL statements' time (summed per addon "
                "function that issued them, the three slowest), the rest being Python:",
                "",
                "| operation | customers | Odoo s | SQL s | Python s | slowest functions "
                "(s, statements) |",
                "| --- | ---: | ---: | ---: | ---: | --- |",
            ]
        for scale, run in profiled:
            p = run["odoo"]["profile"]
            top = "; ".join(f"`{where}` {seconds:.3f} ({n})" for where, seconds, n in p["top"][:3])
            lines.append(
                f"| {name} | {scale:,} | {run['odoo']['seconds']:.3f} | {p['sql_s']:.3f} "
                f"| {p['python_s']:.3f} | {top} |"
            )
    return lines


def write_results(runs):
    """RESULTS.md from every stored scale (results/<scale>.json)."""
    scales = sorted(runs)
    dates = sorted({runs[s]["date"] for s in scales})
    lines = [
        "# Benchmarks",
        "",
        f"Written by `tests/benchmarks/run.sh` on {dates[-1]} (scales run on "
        f"{', '.join(dates)}) on {platform.node() or 'this machine'} ({os.cpu_count()} cores "
        f"shared with other jobs, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, "
        f"PostgreSQL {os.environ.get('CARE_PG_VERSION', '?')}).",
        "",
        "Each operation runs through the addons (Odoo) and as a bare SQL baseline on the same "
        "data, in the same run (what each baseline computes: below). *ratio* = Odoo time / "
        "SQL time; *queries* = SQL statements the Odoo side issued; *memory* = peak growth of "
        "the Odoo process RSS during the operation.",
        "",
        "| operation | customers | orders | Odoo s | SQL s | ratio | rows/s | queries | memory MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    by_op = {}
    for scale in scales:
        orders = runs[scale]["orders"]
        for run in runs[scale]["results"]:
            o, b = run["odoo"], run["sql"]
            by_op.setdefault(run["name"], []).append((scale, run))
            lines.append(
                f"| {run['name']} | {scale:,} | {orders:,} | {o['seconds']:.3f} "
                f"| {b['seconds']:.3f} | {_ratio(run):.1f} "
                f"| {o['rows'] / max(o['seconds'], 1e-6):,.0f} | {o['queries']} "
                f"| {o['mem_mb']:.0f} |"
            )
    if len(scales) > 1:
        lines += [
            "",
            "Growth exponent k in time ∝ customers^k between the smallest and the largest "
            "scale (1 = linear; not meaningful for the wizard, whose customer is the same at "
            "every scale), and queries and memory at each scale:",
            "",
            "| operation | k | queries at each scale | memory MB at each scale |",
            "| --- | ---: | --- | --- |",
        ]
        for name, op_runs in by_op.items():
            (s0, r0), (s1, r1) = op_runs[0], op_runs[-1]
            t0, t1 = r0["odoo"]["seconds"], r1["odoo"]["seconds"]
            k = math.log(max(t1, 1e-6) / max(t0, 1e-6)) / math.log(s1 / s0) if s1 > s0 else 0
            lines.append(
                f"| {name} | {k:.2f} "
                f"| {' → '.join(str(r['odoo']['queries']) for _s, r in op_runs)} "
                f"| {' → '.join('%.0f' % r['odoo']['mem_mb'] for _s, r in op_runs)} |"
            )
    wizard = by_op.get("grant wizard (one open)")
    if wizard:
        lines += [
            "",
            "Grant wizard: one open, median of repeated opens, and its queries for a customer "
            "with 10 orders (5 gestures) and with 1,000 orders (50 gestures):",
            "",
            "| customers in the db | median, 1,000 orders | median, 10 orders "
            "| queries, 10 orders | queries, 1,000 orders |",
            "| ---: | ---: | ---: | ---: | ---: |",
        ]
        for scale, run in wizard:
            e = run["extra"]
            lines.append(
                f"| {scale:,} | {1000 * e['median_s']:.0f} ms | {1000 * e['small_median_s']:.0f} "
                f"ms | {e['queries_10']} | {e['queries_1000']} |"
            )
    lines += _screen_lines(by_op)
    lines += _profile_lines(by_op)
    lines += [
        "",
        "Targets, at the largest scale each operation ran:",
        "",
        "| operation | target | customers | result |",
        "| --- | --- | ---: | --- |",
    ]
    for name, op_runs in by_op.items():
        if name not in TARGETS:
            continue
        scale, run = op_runs[-1]
        text, check = TARGETS[name]
        met = check(run, op_runs)
        verdict = "not measured" if met is None else ("met" if met else "**missed**")
        lines.append(
            f"| {name} | {text} | {scale:,} | {verdict} ({run['odoo']['seconds']:.3f} s, "
            f"ratio {_ratio(run):.1f}) |"
        )
    # the measured causes of the targets (written by hand from the figures, kept by bench.py)
    notes = os.path.join(HERE, "results", "targets.md")
    if os.path.exists(notes):
        lines += ["", open(notes).read().rstrip("\n")]
    problems = [
        f"- {scale:,} {run['name']}: {run['problems']}"
        for scale in scales
        for run in runs[scale]["results"]
        if run.get("problems")
    ]
    if problems:
        lines += ["", "Result checks that failed:", ""] + problems
    lines += ["", "Operations (Odoo side vs bare SQL baseline):", ""]
    for op in operations.OPERATIONS:
        doc = " ".join(op.__doc__.split())
        lines.append(f"- **{op.name}**: {doc}")
    # the notes on the D0 mailing, the sections of workers.sh (several cron workers) and
    # churn_eval.sh stay
    for section in ("d0_mailing.md", "workers.md", "workers_intake.md", "churn_eval.md"):
        path = os.path.join(HERE, "results", section)
        if os.path.exists(path):
            lines += ["", open(path).read().rstrip("\n")]
    with open(os.path.join(HERE, "RESULTS.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def load_runs():
    runs = {}
    folder = os.path.join(HERE, "results")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".json") and name[: -len(".json")].isdigit():  # <scale>.json only
            with open(os.path.join(folder, name)) as f:
                run = json.load(f)
            runs[run["scale"]] = run
    return runs


def save_run(run):
    """Store a scale's figures; with CARE_BENCH_ONLY (some operations run), the stored
    figures of the other operations are kept."""
    folder = os.path.join(HERE, "results")
    os.makedirs(folder, exist_ok=True)
    stored = load_runs().get(run["scale"])
    if os.environ.get("CARE_BENCH_ONLY") and stored:
        fresh = {r["name"] for r in run["results"]}
        run["results"] = [r for r in stored["results"] if r["name"] not in fresh] + run["results"]
    with open(os.path.join(folder, "%d.json" % run["scale"]), "w") as f:
        json.dump(run, f, indent=1)


def main():
    conf, template, *scales = sys.argv[1:]
    odoo.tools.config.parse_config(["-c", conf])
    for scale in (int(s) for s in scales):
        # saved after each operation when only some run (the others' figures are kept)
        partial = save_run if os.environ.get("CARE_BENCH_ONLY") else None
        save_run(run_scale(template, scale, save=partial))
        write_results(load_runs())
    print(open(os.path.join(HERE, "RESULTS.md")).read())


if __name__ == "__main__":
    main()
