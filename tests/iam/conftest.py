"""Records the AWS calls of the project's functions for the whole session, and checks them
last (tests/iam/test_recorded_calls.py).

The recorder is installed once collection is done, so it sees the integration tests (and the
demo played here); calls made by unit tests, which stub clients and leave the environment
unset, are not IAM's concern and are not kept.
"""

from __future__ import annotations

import pytest

from localaws.cloudformation import ACCOUNT_ID
from tests.iam.recorder import CallRecorder

RECORDER = CallRecorder(ACCOUNT_ID, suites=("tests/integration/", "tests/iam/"))
CHECK_LAST = "test_every_recorded_call_is_granted"
REPORT: list[str] = []


def pytest_collection_modifyitems(session, config, items):
    # Every other test first, so the check sees every call they made.
    last = [item for item in items if item.originalname == CHECK_LAST]
    items[:] = [item for item in items if item.originalname != CHECK_LAST] + last
    RECORDER.install()


def pytest_sessionfinish(session, exitstatus):
    RECORDER.uninstall()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if REPORT:
        terminalreporter.section("IAM: recorded calls against template.yaml")
        for line in REPORT:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def call_recorder() -> CallRecorder:
    return RECORDER


@pytest.fixture(scope="session")
def iam_report() -> list[str]:
    """Lines for the terminal summary (the figures `make test` prints)."""
    return REPORT
