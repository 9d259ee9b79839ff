"""Lifecycle of the suite in a database of its own: upgrade keeping data, then
uninstall every addon (reverse dependency order) and reinstall it (dependency order).

Usage: python3 tests/lifecycle.py <odoo.conf> <database> <log dir> [<previous commit>]
The database must already have the three addons installed (with demo data): built with
the previous landed version (the commit given, tests/PREVIOUS_RELEASE) so that the
upgrade runs the migrations, or else with the current code. ``<odoo.conf>`` points at the
current code. Each step is a separate Odoo process, as an administrator would run it; its
log must have no ERROR or CRITICAL line. The cluster is reached through
PGHOST/PGPORT/PGUSER. Exits 1 with the reasons when a check fails.
"""

import os
import re
import subprocess
import sys
import time

import psycopg2
from psycopg2 import sql

ADDONS = ["loyalty_gesture", "satisfaction_survey", "winback"]
BAD_LOG_LINE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ", re.MULTILINE)
# What the migrations from the previous release must have done, checked after the upgrade
# from it: (what, query returning one row whose first column must be true).
MIGRATED = [
    # none: the stored fields and data of the previous release (18.0.1.3.0) are unchanged
]
# The job runs, its result is printed, then rolled back: the uninstall steps that follow
# remove the demo data, which the offers it grants would reference.
RUN_CAMPAIGN_JOB = """
campaigns = env["winback.campaign"]
for _call in range(50):
    campaigns._cron_process_campaigns()
    if not campaigns._job_remaining():
        break
env.flush_all()
env.cr.execute(
    "SELECT count(m.id), count(m.d0_mailing_id), count(DISTINCT mm.id) FILTER ("
    " WHERE mm.state = 'in_queue' AND mm.winback_step = 'd0')"
    " FROM winback_campaign c JOIN winback_campaign_member m ON m.campaign_id = c.id"
    " LEFT JOIN mailing_mailing mm ON mm.id = m.d0_mailing_id WHERE c.state = 'running'"
)
print("CAMPAIGN_JOB %s %s %s" % env.cr.fetchone())
env.cr.rollback()
"""
UNINSTALL = """
module = env["ir.module.module"].search([("name", "=", {name!r})])
module.button_immediate_uninstall()
"""


class Lifecycle:
    def __init__(self, conf, db, logdir, previous=None):
        self.conf, self.db, self.logdir = conf, db, logdir
        self.previous = previous
        self.failures = []
        self.step = 0

    # -- helpers -------------------------------------------------------------------
    def query(self, sql, params=None):
        with psycopg2.connect(dbname=self.db) as conn, conn.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()

    def check(self, ok, message):
        if not ok:
            self.failures.append(message)
            print(f"[lifecycle] FAIL {message}", flush=True)

    def odoo(self, label, args, stdin=None):
        """Run one Odoo process; fail the step on a non-zero exit or an ERROR line."""
        self.step += 1
        log = os.path.join(self.logdir, f"lifecycle-{self.step:02d}-{label}.log")
        start = time.monotonic()
        with open(log, "w") as out:
            proc = subprocess.run(
                [sys.executable, "-m", "odoo", *args, "-c", self.conf, "-d", self.db],
                input=stdin,
                text=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=False,
            )
        with open(log) as out:
            text = out.read()
        bad = BAD_LOG_LINE.findall(text)
        self.check(proc.returncode == 0, f"{label}: exit code {proc.returncode} (log {log})")
        if bad:
            first = BAD_LOG_LINE.search(text)
            self.check(
                False,
                f"{label}: {len(bad)} ERROR/CRITICAL lines, first: {text[first.start() : first.start() + 400]}",
            )
        print(f"[lifecycle] {label}: {time.monotonic() - start:.0f} s", flush=True)
        return text

    def module_state(self, name):
        rows = self.query("SELECT state FROM ir_module_module WHERE name = %s", [name])
        return rows[0][0] if rows else None

    # A model belongs to a module when no other installed module declares it too: run in
    # reverse dependency order, the modules extending it are gone by then.
    OWNED = """
        SELECT m.id FROM ir_model m
         WHERE EXISTS (SELECT 1 FROM ir_model_data d
                        WHERE d.model = 'ir.model' AND d.res_id = m.id AND d.module = ANY(%(modules)s))
           AND NOT EXISTS (SELECT 1 FROM ir_model_data d
                            WHERE d.model = 'ir.model' AND d.res_id = m.id AND d.module != ALL(%(modules)s))"""

    def owned_tables(self, *modules):
        """Tables of the models these modules define (SQL views of reports excluded)."""
        rows = self.query(
            f"""SELECT c.relname FROM ir_model m
                  JOIN pg_class c ON c.relname = replace(m.model, '.', '_') AND c.relkind = 'r'
                 WHERE m.id IN ({self.OWNED})""",
            {"modules": list(modules)},
        )
        return [r[0] for r in rows]

    def added_columns(self, module):
        """Stored columns a module adds to the tables of other modules' models."""
        return self.query(
            f"""SELECT replace(m.model, '.', '_'), f.name
                  FROM ir_model_fields f
                  JOIN ir_model m ON m.id = f.model_id
                  JOIN ir_model_data d ON d.model = 'ir.model.fields' AND d.res_id = f.id
                 WHERE d.module = %(module)s AND f.store AND f.ttype NOT IN ('one2many', 'many2many')
                   AND m.id NOT IN ({self.OWNED})
                   AND NOT EXISTS (  -- a field others extend too (selection_add) stays
                         SELECT 1 FROM ir_model_data o
                          WHERE o.model = 'ir.model.fields' AND o.res_id = f.id AND o.module != %(module)s)
                   AND EXISTS (
                         SELECT 1 FROM information_schema.columns c
                          WHERE c.table_name = replace(m.model, '.', '_') AND c.column_name = f.name)""",
            {"module": module, "modules": [module]},
        )

    def existing_columns(self, columns):
        return [
            (table, column)
            for table, column in columns
            if self.query(
                "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                [table, column],
            )
        ]

    def counts(self, tables):
        count = sql.SQL("SELECT count(*) FROM {}")
        return {t: self.query(count.format(sql.Identifier(t)))[0][0] for t in tables}

    # -- the steps -----------------------------------------------------------------
    def upgrade_keeps_data(self):
        for name in ADDONS:
            self.check(
                self.module_state(name) == "installed",
                f"{name} is not installed before the upgrade",
            )
        tables = self.owned_tables(*ADDONS)
        before = self.counts(tables)
        versions = self.versions()
        # What customers were given is history: a done gesture keeps its points and cost.
        given = self.given()
        # A setting an administrator changed must survive the upgrade.
        self.query("UPDATE res_company SET care_contact_max = 7 WHERE id = 1 RETURNING id")
        # A campaign running when the upgrade comes (started by the previous version).
        self.query(
            "UPDATE winback_campaign SET state = 'running', date_start = now() "
            "WHERE state = 'draft' RETURNING id"
        )
        self.odoo("upgrade", ["-u", ",".join(ADDONS), "--stop-after-init"])
        after = self.counts(tables)
        changed = {t: (before[t], after[t]) for t in tables if before[t] != after[t]}
        self.check(not changed, f"upgrade changed row counts (before, after): {changed}")
        given_after = self.given()
        moved = {g: (given[g], given_after.get(g)) for g in given if given_after.get(g) != given[g]}
        self.check(
            not moved,
            f"upgrade changed the points or cost of done gestures (before, after): {moved}",
        )
        self.check(bool(given), "no done gesture to compare across the upgrade")
        upgraded = self.versions()
        if self.previous:
            for what, query in MIGRATED:
                self.check(bool(self.query(query)[0][0]), f"migration not applied: {what}")
        print(
            "[lifecycle] upgrade "
            + ", ".join(f"{n} {versions.get(n)} -> {upgraded.get(n)}" for n in ADDONS)
            + f"; {len(given)} done gestures kept their points and cost",
            flush=True,
        )
        self.check(
            self.query("SELECT care_contact_max FROM res_company WHERE id = 1")[0][0] == 7,
            "upgrade reset a setting the administrator changed (care_contact_max)",
        )
        rows = sum(before.values())
        print(f"[lifecycle] upgrade kept {rows} rows in {len(tables)} tables unchanged", flush=True)
        return rows, len(tables)

    def running_campaign_goes_on(self):
        """The campaign running across the upgrade goes on: the job targets it and queues
        its D0 on the step's Email Marketing mailing (not sent here: no SMTP server; rolled
        back after)."""
        log = self.odoo("campaign-job", ["shell", "--no-http"], stdin=RUN_CAMPAIGN_JOB)
        found = re.search(r"^CAMPAIGN_JOB (\d+) (\d+) (\d+)$", log, re.MULTILINE)
        self.check(bool(found), "the campaign job printed no result after the upgrade")
        members, queued, mailings = map(int, found.groups()) if found else (0, 0, 0)
        self.check(members > 0, "the running campaign has no member after the upgrade's job")
        self.check(
            queued > 0 and mailings > 0,
            f"the running campaign's D0 is not queued on a mailing ({queued} members, "
            f"{mailings} mailings in queue)",
        )
        print(
            f"[lifecycle] running campaign after the upgrade: {members} members, {queued} "
            f"queued on {mailings} D0 mailing(s)",
            flush=True,
        )

    def versions(self):
        rows = self.query(
            "SELECT name, latest_version FROM ir_module_module WHERE name = ANY(%s)", [ADDONS]
        )
        return dict(rows)

    def given(self):
        rows = self.query(
            "SELECT id, points, cost FROM loyalty_gesture WHERE state IN ('done', 'followed_up')"
        )
        return {row[0]: (float(row[1] or 0), float(row[2] or 0)) for row in rows}

    def uninstall(self, name):
        tables = self.owned_tables(name)
        columns = self.added_columns(name)
        self.odoo(f"uninstall-{name}", ["shell", "--no-http"], stdin=UNINSTALL.format(name=name))
        self.check(
            self.module_state(name) == "uninstalled",
            f"{name}: state {self.module_state(name)!r} after uninstall",
        )
        left_tables = self.query(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)", [tables]
        )
        self.check(not left_tables, f"{name}: tables left after uninstall: {left_tables}")
        left_columns = self.existing_columns(columns)
        self.check(not left_columns, f"{name}: columns left after uninstall: {left_columns}")
        left_data = self.query(
            "SELECT model, count(*) FROM ir_model_data WHERE module = %s GROUP BY model", [name]
        )
        self.check(not left_data, f"{name}: ir_model_data left after uninstall: {left_data}")
        print(
            f"[lifecycle] {name} uninstalled: {len(tables)} tables and {len(columns)} added columns dropped",
            flush=True,
        )
        return len(tables), len(columns)

    def reinstall(self, name):
        self.odoo(f"install-{name}", ["-i", name, "--stop-after-init"])
        self.check(
            self.module_state(name) == "installed",
            f"{name}: state {self.module_state(name)!r} after reinstall",
        )
        self.check(bool(self.owned_tables(name)), f"{name}: no table after reinstall")

    def run(self):
        start = time.monotonic()
        if self.previous:
            print(f"[lifecycle] upgrading a database built with commit {self.previous}", flush=True)
        else:
            print(
                "[lifecycle] WARNING: upgrading a database built with the CURRENT code "
                "(the previous release is not available): migrations are not exercised",
                flush=True,
            )
        rows, tables = self.upgrade_keeps_data()
        self.running_campaign_goes_on()
        dropped_tables = dropped_columns = 0
        coupons = self.query("SELECT count(*) FROM loyalty_card")[0][0]
        for name in reversed(ADDONS):
            t, c = self.uninstall(name)
            dropped_tables += t
            dropped_columns += c
        kept = self.query("SELECT count(*) FROM loyalty_card")[0][0]
        self.check(
            kept == coupons, f"uninstalling lost customers' coupons: {coupons} before, {kept} after"
        )
        for name in ADDONS:
            self.reinstall(name)
        gestures = self.query("SELECT count(*) FROM loyalty_gesture")[0][0]
        self.check(gestures > 0, "no demo gesture after reinstalling loyalty_gesture")
        print(
            f"[lifecycle] upgrade kept {rows} rows in {tables} tables; uninstall dropped {dropped_tables} tables "
            f"and {dropped_columns} columns, kept {kept}/{coupons} coupons, {len(self.failures)} failed checks; "
            "reinstall in dependency order "
            f"({gestures} demo gestures); {time.monotonic() - start:.0f} s",
            flush=True,
        )
        return 1 if self.failures else 0


if __name__ == "__main__":
    sys.exit(Lifecycle(*sys.argv[1:5]).run())
