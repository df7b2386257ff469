"""Collects the conformance figures and prints them at the end of the run."""

from __future__ import annotations

from tests.conformance.parity import ALLOWED, FIGURES


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FIGURES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("conformance with the native schemas and botocore")
    for source in ("schema", "botocore"):
        total = FIGURES[f"{source} paths"]
        if total:
            write(
                f"{source} paths accepted and delivered {FIGURES[f'{source} delivered']}/"
                f"{total - FIGURES[f'{source} allowed']} "
                f"(+{FIGURES[f'{source} allowed']} accepted, allow-listed)"
            )
    write(f"botocore-invalid requests {FIGURES['invalid requests']}")
    for path, reason in sorted(ALLOWED.items()):
        write(f"  allow-listed {path}: {reason}")
