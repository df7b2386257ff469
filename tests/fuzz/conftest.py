"""Figures of the fuzzing, printed at the end of the test run (`make test`)."""

from __future__ import annotations

import pytest

from tests.fuzz.figures import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tried = FIGURES["invoker"]
    if not tried["inputs"]:
        return
    statuses = ", ".join(
        f"{name.removeprefix('status ')}: {count}"
        for name, count in sorted(tried.items())
        if name.startswith("status ")
    )
    shapes = ", ".join(
        f"{name.removeprefix('shape ')} {count}"
        for name, count in sorted(tried.items())
        if name.startswith("shape ")
    )
    terminalreporter.write_sep("-", "fuzzing")
    terminalreporter.write_line(
        f"invoker events: {tried['inputs']} inputs tried ({shapes}), {tried['crashes']} "
        f"crashes, {tried['unclear']} unclear answers; answers by status: {statuses}"
    )
