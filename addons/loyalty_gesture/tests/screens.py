"""Screenshots of the real browser runs, for the README (docs/screens, tools/screenshots.sh).

A tour step `run: () => careScreenshot("name")` (static/tests/tours/care_screenshot.js) logs
`care_screenshot name` in the browser console and waits for an answer. `ScreensMixin` (put it
before HttpCase) answers it: with CARE_SCREENSHOTS=<dir> set it first saves the page as
<dir>/name.png through the devtools protocol (Page.captureScreenshot, as Odoo does for its
failure screenshots), the logged-in user speaking CARE_SCREENSHOTS_LANG (en_US by default);
without it, it answers at once and the tour runs as usual.
"""

import base64
import json
import logging
import os
import pathlib
from unittest.mock import patch

from odoo.tests import common as odoo_common

_logger = logging.getLogger(__name__)

SIGNAL = "care_screenshot "
# the same wait as settle() in care_screenshot.js
SETTLE = """(async () => {
    const deadline = Date.now() + 10000;
    await new Promise((resolve) => setTimeout(resolve, 400));
    while (document.querySelector(".o_loading_indicator") && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
})()"""


def screens_dir():
    """The directory the screenshots go to, or None when they are not wanted."""
    directory = os.environ.get("CARE_SCREENSHOTS")
    return pathlib.Path(directory) if directory else None


def screens_lang():
    """The users' language on the screenshots (CARE_SCREENSHOTS_LANG, English by default)."""
    return os.environ.get("CARE_SCREENSHOTS_LANG", "en_US")


def save(name, base64_png):
    directory = screens_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.png"
    path.write_bytes(base64.b64decode(base64_png, validate=True))
    _logger.info("Screenshot saved in %s", path)
    return path


def capture(browser, name):
    """Take the screenshot (if wanted) from the console handler, then tell the page."""

    def acknowledge(future=None):
        if future is not None:
            try:
                save(name, future.result(timeout=0)["data"])
            except Exception as error:  # the tour then fails on the missing answer
                _logger.error("Screenshot %s failed: %s", name, error)
                return
        browser._websocket_send(
            "Runtime.evaluate",
            params={
                "expression": "(window.careScreenshotsTaken ||= new Set()).add(%s)"
                % json.dumps(name)
            },
        )

    if screens_dir() is None:
        acknowledge()
        return
    future = browser._websocket_send("Page.captureScreenshot", with_future=True)
    future.add_done_callback(acknowledge)


class ScreensMixin:
    """HttpCase mixin answering the tours' careScreenshot() calls."""

    def _screens_user_lang(self, login):
        if login and screens_dir() is not None:
            lang = screens_lang()
            self.env["res.lang"]._activate_lang(lang)
            self.env["res.users"].search([("login", "=", login)]).lang = lang

    def browser_js(self, *args, **kwargs):
        self._screens_user_lang(kwargs.get("login"))
        original = odoo_common.ChromeBrowser._handle_console

        def handle_console(browser, type, args=None, stackTrace=None, **kw):  # pylint: disable=redefined-builtin
            value = args and args[0].get("value")
            if type == "log" and isinstance(value, str) and value.startswith(SIGNAL):
                capture(browser, value[len(SIGNAL) :])
                return None
            return original(browser, type, args=args, stackTrace=stackTrace, **kw)

        with patch.object(odoo_common.ChromeBrowser, "_handle_console", handle_console):
            return super().browser_js(*args, **kwargs)

    def screen(self, url, ready, name, login="admin", timeout=60):
        """Open url as login, wait until the JavaScript expression ready is true, take the
        screenshot name when wanted; fails on any browser error. Returns the browser's
        document title."""
        self._screens_user_lang(login)
        browser = odoo_common.ChromeBrowser(self)
        try:
            self.authenticate(login, login, browser=browser)
            self.cr.flush()
            self.cr.clear()
            browser.navigate_to(f"{self.base_url()}{url}", wait_stop=True)
            self.assertTrue(
                browser._wait_ready(ready, timeout=timeout), f"{url}: never showed {ready}"
            )
            # let the rendering settle (transitions, server calls) before the picture
            browser._websocket_request(
                "Runtime.evaluate",
                params={"expression": SETTLE, "awaitPromise": True},
                timeout=20,
            )
            self.assertFalse(browser.had_failure, f"{url}: the browser logged an error")
            if name and screens_dir() is not None:
                save(name, browser._websocket_request("Page.captureScreenshot", timeout=30)["data"])
            return browser._websocket_request(
                "Runtime.evaluate", params={"expression": "document.title"}
            )["result"]["value"]
        finally:
            browser.stop()
            self._wait_remaining_requests()
