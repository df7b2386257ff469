"""Collects the conformance figures and prints them at the end of the run."""

from __future__ import annotations

from tests.conformance.parity import ALLOWED, FIGURES, KINDS


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not FIGURES:
        return
    write = terminalreporter.write_line
    terminalreporter.section("conformance with the native schemas and botocore")
    for kind in KINDS:
        for source in ("schema", "botocore"):
            figure = f"{kind.resource_type} {source}"
            total = FIGURES[f"{figure} paths"]
            if total:
                write(
                    f"{figure} paths accepted and delivered {FIGURES[f'{figure} delivered']}/"
                    f"{total - FIGURES[f'{figure} allowed']} "
                    f"(+{FIGURES[f'{figure} allowed']} accepted, allow-listed)"
                )
    write(f"botocore-invalid requests {FIGURES['invalid requests']}")
    if FIGURES["fuzzing inputs"]:
        write(
            f"property fuzzing (fixed seed): {FIGURES['fuzzing inputs']} inputs, "
            f"{FIGURES['fuzzing crashes']} crashes, "
            f"{FIGURES['fuzzing rejected']} rejected with "
            f"{FIGURES['fuzzing calls on rejected']} AWS calls, every reason <= 256 characters"
        )
    for path, reason in sorted(ALLOWED.items()):
        write(f"  allow-listed {path}: {reason}")
