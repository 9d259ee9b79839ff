import logging
import os
import traceback
from contextlib import contextmanager
from unittest.mock import patch

from odoo.sql_db import Cursor
from odoo.tests import Form, tagged
from odoo.tools import SQL

from . import common

# measured: ticket, action, user, company, channel, customer, metrics (2), portraits (2),
# charter and its rules (6), gesture types (2), currency, effects, past gestures, previews;
# issue #21 aims at 20 (the charter's relations are the next to share one query)
MAX_QUERIES = 26

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestGrantWizardQueries(common.CareCase):
    """Opening the *Grant a gesture* wizard costs a fixed, small number of queries,
    whatever the customer's history (the charters and portraits of the database stay on)."""

    @classmethod
    def _care_records(cls):  # pylint: disable=missing-return
        super()._care_records()
        # the same figures today (revenue, first and last order, gestures over 12 months),
        # so the same suggestion: only the length of the history differs
        cls.small = cls._customer_with_history("Small history", orders=3, gestures=3)
        cls.big = cls._customer_with_history("Big history", orders=30, gestures=30)

    @classmethod
    def _customer_with_history(cls, name, orders, gestures):
        partner = cls.make_partner(name)
        company = cls.company
        cls.env.cr.execute(
            SQL(
                """
                INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                                        company_id, currency_id, date_order, state,
                                        amount_untaxed, amount_tax, amount_total)
                SELECT 'WIZ/' || %(p)s || '/' || k, %(p)s, %(p)s, %(p)s, %(company)s,
                       %(currency)s, now() - make_interval(days => 7 + (k - 1) * 203 / (%(n)s - 1)),
                       'sale', 150.0 / %(n)s, 0, 150.0 / %(n)s
                  FROM generate_series(1, %(n)s) k
                """,
                p=partner.id,
                n=orders,
                company=company.id,
                currency=company.currency_id.id,
            )
        )
        cls.env.cr.execute(
            SQL(
                """
                INSERT INTO loyalty_gesture (name, company_id, partner_id, commercial_partner_id,
                                             type_id, state, value, done_date, create_date)
                SELECT 'WIZ/' || %(p)s || '/' || k, %(company)s, %(p)s, %(p)s, %(type)s, 'done',
                       5, now() - make_interval(days => 100 * k), now() - make_interval(days => 100 * k)
                  FROM generate_series(1, %(n)s) k
                """,
                p=partner.id,
                n=gestures,
                company=company.id,
                type=cls.gesture_type.id,
            )
        )
        return cls.env["helpdesk.ticket"].create(
            {
                "name": "Broken machine",
                "description": "It broke.",
                "partner_id": partner.id,
                "priority": "2",
            }
        )

    @contextmanager
    def _logged(self):
        """Print the queries run in the block when CARE_LOG_QUERIES is set (to trim them)."""
        if not os.environ.get("CARE_LOG_QUERIES"):
            yield
            return
        execute = Cursor.execute
        queries = []

        def logging_execute(cr, query, params=None, log_exceptions=True):
            frames = [
                "%s:%s" % (f.filename.split("/addons/")[-1], f.lineno)
                for f in traceback.extract_stack(limit=40)
                if "loyalty_gesture" in f.filename and "tests/" not in f.filename
            ]
            text = str(query.code if isinstance(query, SQL) else query)[:150]
            if 'res_partner"."email_normalized' in text:
                text += " PARAMS %s" % (
                    str(query.params if isinstance(query, SQL) else params)[:80],
                )
                frames = [
                    "%s:%s" % (f.filename[-60:], f.lineno)
                    for f in traceback.extract_stack(limit=16)[:-2]
                ]
            queries.append(
                "%s  <- %s" % (text, " ".join(frames if "PARAMS" in text else frames[-3:]))
            )
            return execute(cr, query, params, log_exceptions)

        with patch.object(Cursor, "execute", logging_execute):
            yield
        _logger.info(
            "%d queries:\n%s", len(queries), "\n".join(" ".join(q.split()) for q in queries)
        )

    def _open_form(self, ticket):
        action = ticket.action_grant_gesture()
        return Form(ticket.env[action["res_model"]].with_context(**action["context"]))

    def _open(self, ticket):
        """One open as the web client does it, in a fresh request: its query count."""
        # the context the web client sends with every call
        env = self.env(user=self.agent, context={"lang": "en_US", "tz": "Europe/Paris"})
        ticket = ticket.with_env(env)
        self._open_form(ticket)  # warm: views and caches loaded once per process
        env.invalidate_all()
        before = env.cr.sql_log_count
        with self._logged():
            form = self._open_form(ticket)
        queries = env.cr.sql_log_count - before
        self.assertEqual(form.partner_id, ticket.partner_id)
        self.assertTrue(form.type_id)
        return queries

    def test_open_queries_do_not_grow_with_the_history(self):
        small = self._open(self.small)
        big = self._open(self.big)
        self.assertLessEqual(big, MAX_QUERIES)
        self.assertEqual(small, big, "the same queries with 3 or 30 orders and gestures")
