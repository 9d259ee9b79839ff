"""A win-back campaign started through JSON-RPC on Odoo servers in workers mode with
Odoo's default limits, with one and with two cron workers: the time until every member has
had its D0 (offer, coupon, email), duplicates, losses, workers killed.

Usage (tests/benchmarks/workers.sh does it in a throwaway cluster):
    python3 workers.py <odoo.conf> <template db> <customers> [<cron workers>...] [--intake]
Writes results/workers.json and results/workers.md (RESULTS.md includes it); with
--intake, a continuous campaign's daily run taking the customers in as new entrants, into
results/workers_intake.*.
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta

import datagen
from odoo_server import free_port, start_workers_server  # tests/ (workers.sh: PYTHONPATH)

import odoo
from odoo import SUPERUSER_ID, api

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIMITS = ["--limit-time-cpu=60", "--limit-time-real=120"]
KILLED = re.compile(r"CPU time limit|virtual real time limit|timeout after|WorkerCron .* max age")
LOGIN = "bench_manager"


def rpc(opener, url, path, params):
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
    request = urllib.request.Request(url + path, body, {"Content-Type": "application/json"})
    with opener.open(request, timeout=300) as response:
        answer = json.load(response)
    if "error" in answer:
        raise RuntimeError(answer["error"]["data"]["message"])
    return answer["result"]


def prepare(db, customers, intake=False):
    """Customers, their scores, a Care manager and a draft campaign on all of them.

    ``intake``: a continuous campaign started the day before on nobody, whose segment
    now takes every customer in (``customers`` new entrants for its daily run)."""
    registry = odoo.modules.registry.Registry(db)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        datagen.generate(env, customers)
        env["winback.customer.score"]._compute_company_scores(env.company)
        env.company.email = "care@example.com"  # the campaign's emails need a sender
        manager = env["res.users"].create(
            {
                "name": "Bench manager",
                "login": LOGIN,
                "password": LOGIN,
                "groups_id": [(6, 0, [env.ref("loyalty_gesture.group_care_manager").id])],
            }
        )
        campaign = datagen.campaign_on_everyone(env, "Bench workers")
        if intake:
            campaign.write({"continuous": True, "partner_domain": "[('id', '=', 0)]"})
            campaign.with_user(manager).action_start()
            for _call in range(20):  # yesterday's run: targets nobody
                env["winback.campaign"]._cron_process_campaigns()
                if not env["winback.campaign"]._job_remaining():
                    break
            campaign.write(
                {
                    "partner_domain": False,
                    "targeted_date": campaign.targeted_date - timedelta(days=1),
                }
            )
        print(f"[workers] {customers} customers prepared in {time.perf_counter() - start:.0f} s")
        return campaign.id


def state(db, campaign_id):
    with odoo.sql_db.db_connect(db).cursor() as cr:
        cr.execute(
            """
            SELECT c.targeted_date IS NOT NULL, count(m.id), count(DISTINCT m.partner_id),
                   count(m.id) FILTER (WHERE m.state = 'targeted'),
                   count(m.id) FILTER (WHERE m.contacted), count(DISTINCT m.gesture_id)
              FROM winback_campaign c
         LEFT JOIN winback_campaign_member m ON m.campaign_id = c.id
             WHERE c.id = %s GROUP BY c.id
            """,
            [campaign_id],
        )
        return cr.fetchone()


def rendered(db, campaign_id):
    """Members queued on the campaign's D0 mailings, and those Email Marketing's queue has
    rendered their email for (a trace each: the mail is then the mail queue's)."""
    with odoo.sql_db.db_connect(db).cursor() as cr:
        cr.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE EXISTS (
                       SELECT 1 FROM mailing_trace t
                        WHERE t.mass_mailing_id = m.d0_mailing_id
                          AND t.model = 'winback.campaign.member' AND t.res_id = m.id))
              FROM winback_campaign_member m
             WHERE m.campaign_id = %s AND m.d0_mailing_id IS NOT NULL
            """,
            [campaign_id],
        )
        return cr.fetchone()


def given(db, campaign_id):
    """Offers, coupons and D0 emails per member (each must be exactly one; the email is
    the member queued on the campaign's D0 mailing, which Email Marketing's queue sends)."""
    with odoo.sql_db.db_connect(db).cursor() as cr:
        cr.execute(
            """
            SELECT count(*) FILTER (WHERE g.n != 1), count(*) FILTER (WHERE e.n != 1),
                   count(*) FILTER (WHERE k.n != 1), count(*) FILTER (WHERE r.n != 1)
              FROM winback_campaign_member m
              LEFT JOIN LATERAL (SELECT count(*) AS n FROM loyalty_gesture x
                                  WHERE x.partner_id = m.partner_id) g ON TRUE
              LEFT JOIN LATERAL (SELECT count(*) AS n FROM mailing_mailing x
                                  WHERE x.id = m.d0_mailing_id
                                    AND x.winback_step = 'd0') e ON TRUE
              LEFT JOIN LATERAL (SELECT count(*) AS n FROM loyalty_card x
                                  WHERE x.partner_id = m.partner_id) k ON TRUE
              LEFT JOIN LATERAL (SELECT count(*) AS n FROM mailing_trace x
                                  WHERE x.mass_mailing_id = m.d0_mailing_id
                                    AND x.model = 'winback.campaign.member'
                                    AND x.res_id = m.id) r ON TRUE
             WHERE m.campaign_id = %s AND m.contacted
            """,
            [campaign_id],
        )
        return dict(zip(("offers", "emails", "coupons", "rendered"), cr.fetchone(), strict=True))


def run(conf, base, campaign_id, cron_workers, intake=False):
    db = f"{base}_w{cron_workers}"
    subprocess.run(["dropdb", "--if-exists", db], check=True)
    subprocess.run(["createdb", "-T", base, db], check=True)
    if intake:  # the day's planned run of the campaign job is due: no trigger wakes a worker
        with odoo.sql_db.db_connect(db).cursor() as cr:
            cr.execute(
                "UPDATE ir_cron c SET nextcall = now() AT TIME ZONE 'UTC' FROM ir_act_server a "
                "WHERE a.id = c.ir_actions_server_id AND a.code LIKE %s",
                ["%_cron_process_campaigns%"],
            )
        odoo.sql_db.close_db(db)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = os.path.join(HERE, "results", f".workers-{cron_workers}.log")
    with open(log_path, "w") as log:
        server = start_workers_server(conf, db, port, cron_workers, DEFAULT_LIMITS, log)
        try:
            for _ in range(180):
                try:
                    urllib.request.urlopen(url + "/web/health", timeout=5).close()
                    break
                except OSError:
                    time.sleep(1)
            started = time.monotonic()
            answered = 0.0
            if not intake:
                opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
                rpc(opener, url, "/web/session/authenticate",
                    {"db": db, "login": LOGIN, "password": LOGIN})  # fmt: skip
                started = time.monotonic()
                rpc(opener, url, "/web/dataset/call_kw/winback.campaign/action_start",
                    {"model": "winback.campaign", "method": "action_start",
                     "args": [[campaign_id]], "kwargs": {}})  # fmt: skip
                answered = time.monotonic() - started
            while True:
                targeted, members, _p, waiting, _c, _g = state(db, campaign_id)
                if targeted and members and not waiting:
                    break
                with open(log_path) as log_text:
                    failed = re.search(r"campaign steps[^\n]*failed", log_text.read())
                if failed or time.monotonic() - started > 4 * 3600:
                    raise RuntimeError(f"the campaign job failed or never ended: {log_path}")
                time.sleep(2)
            finished = time.monotonic() - started
            # then Email Marketing's queue renders the emails, a slice of members a pass
            while True:
                queued, done = rendered(db, campaign_id)
                if done >= queued:
                    break
                if time.monotonic() - started > 4 * 3600:
                    raise RuntimeError(f"the D0 emails were never all rendered: {log_path}")
                time.sleep(2)
            emails_done = time.monotonic() - started
        finally:
            server.terminate()
            server.wait(60)
    text = open(log_path).read()
    calls = len(re.findall(r"Job 'Win-back: campaign steps[^']*' \(\d+\) processed", text))
    _targeted, members, partners, _waiting, contacted, _gestures = state(db, campaign_id)
    result = {
        "cron_workers": cron_workers,
        "members": members,
        "start_answered_s": round(answered, 3),
        "job_s": round(finished, 1),
        "emails_s": round(emails_done, 1),
        "calls": calls,
        "contacted": contacted,
        "duplicate_members": members - partners,
        "not_one": given(db, campaign_id),
        "lost": members - contacted,
        "killed": len(KILLED.findall(text)),
    }
    print(f"[workers] {json.dumps(result)}", flush=True)
    odoo.sql_db.close_db(db)
    subprocess.run(["dropdb", db], check=True)
    return result


def write(customers, results, intake=False):
    folder = os.path.join(HERE, "results")
    name = "workers_intake" if intake else "workers"
    with open(os.path.join(folder, f"{name}.json"), "w") as f:
        json.dump({"customers": customers, "runs": results}, f, indent=1)
    how = (
        "a continuous win-back campaign's daily run taking in new entrants (its planned "
        "time due, no trigger: the cron workers come to it after their sleep) "
        if intake
        else "a win-back campaign started through JSON-RPC (`action_start`) "
    )
    lines = [
        f"Several cron workers: {how}on "
        f"an Odoo server in workers mode with Odoo's default limits ({' '.join(DEFAULT_LIMITS)}), "
        f"on {customers:,} customers: the time until every member has their D0 offer and "
        "coupon and is queued on the D0 mailing (the campaign job), then until Email "
        "Marketing's queue has rendered every member's email (a trace each, the mail then "
        "the mail queue's); `tests/benchmarks/workers.sh`. Duplicates: members, offers, "
        "coupons, mailing links or emails other than one per customer.",
        "",
        "| cron workers | members | Start answered | offers queued | emails rendered | job calls "
        "| members/s (emails) | duplicates | lost | workers killed |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        dup = r["duplicate_members"] + sum(r["not_one"].values())
        start = "— (planned run)" if intake else f"{r['start_answered_s']:.2f} s"
        lines.append(
            f"| {r['cron_workers']} | {r['members']:,} | {start} "
            f"| {r['job_s']:.0f} s | {r['emails_s']:.0f} s | {r['calls']} "
            f"| {r['members'] / r['emails_s']:.0f} | {dup} | {r['lost']} | {r['killed']} |"
        )
    if len(results) == 2:
        one, two = results
        lines += [
            "",
            f"One worker / two workers time ratio: {one['emails_s'] / two['emails_s']:.2f} until "
            f"every email is rendered, {one['job_s'] / two['job_s']:.2f} until every offer is "
            "queued (two shared cores).",
        ]
    with open(os.path.join(folder, f"{name}.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    intake = "--intake" in sys.argv
    conf, template, customers, *workers = [a for a in sys.argv[1:] if a != "--intake"]
    customers = int(customers)
    odoo.tools.config.parse_config(["-c", conf])
    base = f"workers_{customers}"
    subprocess.run(["dropdb", "--if-exists", base], check=True)
    subprocess.run(["createdb", "-T", template, base], check=True)
    campaign_id = prepare(base, customers, intake)
    odoo.modules.registry.Registry.delete(base)
    odoo.sql_db.close_db(base)
    results = [run(conf, base, campaign_id, int(n), intake) for n in (workers or ["1", "2"])]
    write(customers, results, intake)
    name = "workers_intake" if intake else "workers"
    print(open(os.path.join(HERE, "results", f"{name}.md")).read())


if __name__ == "__main__":
    main()
