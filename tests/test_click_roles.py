"""Issue #19, outside-in: Odoo's click-everything bot on our apps, as real roles.

Odoo's own ``test_click_everywhere`` runs as admin or demo and is not in the standard
tags; this starts the same web client clickbot (``startClickEverywhere`` from
``@web/webclient/clickbot/clickbot_loader``) logged in as an agent on Helpdesk, and as a
Customer Care manager who is also a Sales user (neither admin nor Helpdesk manager) on
Helpdesk and CRM. It opens every menu, view and filter of the app the user sees, and
fails on any error the browser logs. The tours cover buttons.
"""

import re
import time

from odoo.addons.loyalty_gesture.tests.common import care_user
from odoo.tests import HttpCase, tagged

CLICKBOT = (
    "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader').startClickEverywhere('%s');"
)
MAX_SECONDS = 300
ASSET_RE = re.compile(r'(?:src|href)="(/web/assets/[^"]+\.(?:js|css))"')


@tagged("post_install", "-at_install")
class TestClickEverywhereAsRoles(HttpCase):
    allow_end_on_form = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.ref("base.main_company")

        def user(login, groups):
            # browser_js logs in with the login as password: at least 8 characters
            return care_user(cls.env, login, groups, company, tour_enabled=False)

        cls.agent = user("clickagent", "loyalty_gesture.group_care_agent")
        cls.manager = user(
            "clickmanager",
            "loyalty_gesture.group_care_manager,sales_team.group_sale_salesman",
        )

    def _click_everywhere(self, login, app_xmlid):
        user = self.env["res.users"].search([("login", "=", login)])
        self.assertFalse(user._is_admin())
        self.assertFalse(user.has_group("helpdesk_mgmt.group_helpdesk_manager"))
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        app = self.env.ref(app_xmlid)
        self.assertIn(app.id, menus["root"]["children"], f"{login} sees {app_xmlid}")
        self._warm_assets(login)
        start = time.monotonic()
        self.browser_js(
            "/odoo",
            CLICKBOT % app_xmlid,
            "odoo.isReady === true",
            login=login,
            timeout=MAX_SECONDS,
            success_signal="clickbot test succeeded",
        )
        self.assertLess(time.monotonic() - start, MAX_SECONDS)

    def _warm_assets(self, login):
        """Build the web client's bundles before the browser asks for them: on a loaded
        machine their first build outlasts the browser's 20 s navigation timeout."""
        self.authenticate(login, login)
        page = self.url_open("/odoo", timeout=300)
        self.assertEqual(page.status_code, 200)
        for url in ASSET_RE.findall(page.text):
            self.url_open(url, timeout=300)
        self.logout()

    def test_agent_on_helpdesk(self):
        self._click_everywhere("clickagent", "helpdesk_mgmt.helpdesk_ticket_main_menu")

    def test_care_manager_on_helpdesk(self):
        self._click_everywhere("clickmanager", "helpdesk_mgmt.helpdesk_ticket_main_menu")

    def test_care_manager_on_crm(self):
        self._click_everywhere("clickmanager", "crm.crm_menu_root")
