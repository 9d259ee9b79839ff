"""pytest plugin of the test command: a skipped test or an empty run is a failure.

Odoo skips browser tours silently when chromium or websocket-client is missing; we
would rather be told.
"""

import pytest

_skipped = []


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
