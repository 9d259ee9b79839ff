"""A campaign started through JSON-RPC on an Odoo server in workers mode, its worker
limits lowered to a few seconds: *Start* answers at once, the campaign job's two shards
take the members in chunks across several calls, none lost, none twice, no worker killed.

The same path as the benchmark (``tests/benchmarks/workers.py``) with Odoo's default
limits and 100,000 members; here on the scratch database (committed data).
"""

import json
import re
import tempfile
import time
import unittest
import urllib.request
import uuid
from datetime import datetime, timedelta

import scratch
from odoo_server import free_port, start_workers_server

import odoo
from odoo import fields

SLEEPERS = 150
# CPU lowered from Odoo's 60 s to 10 s: the job's calls then work 1 s a pass of the cron
# worker (care_helpers.cron_chunk_seconds), a few dozen members; an idle cron worker sleeps
# 60-69 s between polls without a heartbeat, so its real-time limit cannot go below that.
LIMITS = ["--limit-time-cpu=10", "--limit-time-real=60", "--limit-time-real-cron=80"]
KILLED = re.compile(r"CPU time limit|virtual real time limit|killing|Timeout|WorkerCron .* max age")


class Rpc:
    """A JSON-RPC session, as the web client opens it."""

    def __init__(self, url):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())

    def post(self, path, params):
        body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
        request = urllib.request.Request(
            self.url + path, body, {"Content-Type": "application/json"}
        )
        with self.opener.open(request, timeout=60) as response:
            answer = json.load(response)
        if "error" in answer:
            raise AssertionError(answer["error"]["data"]["message"])
        return answer["result"]

    def call(self, model, method, *args):
        return self.post(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": {}},
        )


class TestCampaignInWorkersMode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = scratch.scratch_registry()
        cls.run_id = uuid.uuid4().hex[:8]

    def _prepare(self, env):
        company = env["res.company"].create(
            {"name": f"Workers {self.run_id}", "email": f"care.{self.run_id}@example.com"}
        )
        manager = env["res.users"].create(
            {
                "name": f"Workers manager {self.run_id}",
                "login": f"workers_{self.run_id}",
                "password": f"workers_{self.run_id}",
                "company_id": company.id,
                "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, [env.ref("loyalty_gesture.group_care_manager").id])],
            }
        )
        partners = env["res.partner"].create(
            [
                {
                    "name": f"Worker sleeper {i:03d} {self.run_id}",
                    "email": f"ws{i}.{self.run_id}@example.com",
                }
                for i in range(SLEEPERS)
            ]
        )
        product = env["product.product"].create({"name": "Workers coffee", "list_price": 9})
        long_ago = datetime.combine(fields.Date.today(), datetime.min.time())
        env["sale.order"].create(
            [
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "state": "sale",
                    "date_order": long_ago - timedelta(days=days_ago),
                    "order_line": [(0, 0, {"product_id": product.id, "price_unit": 100})],
                }
                for partner in partners
                for days_ago in (400, 300)
            ]
        )
        env["winback.customer.score"]._compute_company_scores(company)
        gesture_type = env["loyalty.gesture.type"].create(
            {
                "name": f"Workers coupon {self.run_id}",
                "category": "financial",
                "fulfilment": "coupon",
                "default_value": 10,
                "max_value": 100,
                "company_id": company.id,
            }
        )
        campaign = (
            env["winback.campaign"]
            .with_user(manager)
            .with_company(company)
            .create(
                {
                    "name": f"Workers campaign {self.run_id}",
                    "company_id": company.id,
                    "holdout_percent": 0,
                    "segment_at_risk": True,
                    "gesture_type_id": gesture_type.id,
                }
            )
        )
        # the scratch database's other campaigns are not this test's business
        env["winback.campaign"].search([("state", "=", "running")]).sudo().write({"state": "done"})
        return campaign.id, manager.login

    def _server(self, port, log):
        return start_workers_server(
            odoo.tools.config.rcfile, self.registry.db_name, port, 2, LIMITS, log
        )

    def _wait_http(self, url, server, seconds=90):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.assertIsNone(server.poll(), "the server stopped")
            try:
                urllib.request.urlopen(url + "/web/health", timeout=5).close()
                return
            except OSError:
                time.sleep(1)
        self.fail("the server did not answer")

    def _state(self, campaign_id):
        def read(env):
            cr = env.cr
            cr.execute(
                """
                SELECT c.targeted_date IS NOT NULL,
                       count(m.id),
                       count(DISTINCT m.partner_id),
                       count(m.id) FILTER (WHERE m.state = 'targeted'),
                       count(m.id) FILTER (WHERE m.contacted),
                       count(DISTINCT m.gesture_id)
                  FROM winback_campaign c
             LEFT JOIN winback_campaign_member m ON m.campaign_id = c.id
                 WHERE c.id = %s
              GROUP BY c.id
                """,
                [campaign_id],
            )
            return cr.fetchone()

        return scratch.setup(self.registry, read)

    def _given(self, campaign_id):
        def read(env):
            members = env["winback.campaign.member"].search([("campaign_id", "=", campaign_id)])
            gestures = env["loyalty.gesture"].search([("partner_id", "in", members.partner_id.ids)])
            mails = env["mail.mail"].search(
                [("model", "=", "winback.campaign.member"), ("res_id", "in", members.ids)]
            )
            return (
                len(gestures),
                len(gestures.coupon_card_id),
                len(mails),
                len(set(mails.mapped("res_id"))),
            )

        return scratch.setup(self.registry, read)

    def test_start_through_rpc_then_chunks_on_cron_workers(self):
        campaign_id, login = scratch.setup(self.registry, self._prepare)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
            print(f"\nworkers mode: server log in {log.name}")
            server = self._server(port, log)
            try:
                self._wait_http(url, server)
                rpc = Rpc(url)
                rpc.post(
                    "/web/session/authenticate",
                    {"db": self.registry.db_name, "login": login, "password": login},
                )
                started = time.monotonic()
                rpc.call("winback.campaign", "action_start", [campaign_id])
                answered = time.monotonic() - started
                deadline = time.monotonic() + 240
                while time.monotonic() < deadline:
                    targeted, members, _partners, waiting, _c, _g = self._state(campaign_id)
                    if targeted and members and not waiting:
                        break
                    time.sleep(2)
                finished = time.monotonic() - started
                # then Email Marketing's queue renders the emails (a slice a pass)
                while time.monotonic() < deadline:
                    if self._given(campaign_id)[2] >= SLEEPERS:
                        break
                    time.sleep(1)
                emailed = time.monotonic() - started
            finally:
                server.terminate()
                server.wait(30)
            log.seek(0)
            text = log.read()
        state = self._state(campaign_id)
        given = self._given(campaign_id)
        progress = re.findall(
            r"Job 'Win-back: campaign steps and results[^']*' \(\d+\) processed (\d+) records, "
            r"(\d+) records remaining",
            text,
        )
        print(
            f"\nworkers mode [{SLEEPERS} members, {' '.join(LIMITS)}]: start answered in "
            f"{answered:.2f} s, job done in {finished:.1f} s over {len(progress)} calls, "
            f"every email rendered in {emailed:.1f} s"
        )
        self.assertLess(answered, 4, "Start answers at once")
        self.assertEqual(state, (True, SLEEPERS, SLEEPERS, 0, SLEEPERS, SLEEPERS), "all in, once")
        self.assertEqual(
            given, (SLEEPERS, SLEEPERS, SLEEPERS, SLEEPERS), "one offer, coupon, email each"
        )
        self.assertGreaterEqual(len(progress), 3, "several calls: targeting, then chunks")
        self.assertTrue(
            any(int(remaining) for _done, remaining in progress),
            "a call stopped with work remaining and was called again",
        )
        self.assertFalse(KILLED.findall(text), "no worker hit its limits")
