"""pytest plugin of the test command: a skipped test or an empty run is a failure.

Odoo skips browser tours silently when chromium or websocket-client is missing; we
would rather be told.

It also tells Odoo a test is running, as Odoo's own test runner does
(``odoo.modules.module.current_test``): Odoo's mail server then records outgoing emails
as sent instead of connecting to an SMTP server that a test machine does not have.
"""

import pytest

import odoo.modules.module

_skipped = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    # the running test case, as Odoo's runner sets it (test cursors ask it questions)
    odoo.modules.module.current_test = getattr(item, "instance", None) or False
    try:
        return (yield)
    finally:
        odoo.modules.module.current_test = False


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skipped.append(report.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if _skipped:
        session.config.get_terminal_writer().line(
            "care guard: %d test(s) were skipped, which fails the run: %s"
            % (len(_skipped), ", ".join(_skipped)),
            red=True,
        )
        session.exitstatus = 1
    elif exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = 1
