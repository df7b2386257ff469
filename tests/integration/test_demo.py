"""`make demo` plays every example stack end to end on the embedded local AWS."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
FAST = [
    "--create-seconds",
    "0.6",
    "--update-seconds",
    "0.6",
    "--delete-seconds",
    "0.2",
    "--poll-interval",
    "0.1",
    "--lambda-timeout",
    "1.5",
    "--handoff-margin",
    "1",
]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_the_demo_deploys_updates_and_deletes_the_example(example):
    # Given an example consumer stack and the demo's Lambda path set as `make demo` sets it
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(["layers/shared", "functions/provider", "."]),
    }

    # When the demo plays it with short simulated timings
    result = subprocess.run(
        [sys.executable, "-m", "localaws.demo", str(example), *FAST],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    # Then every step completed, waits spanned invocations, and nothing was left behind
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CREATE_COMPLETE" in result.stdout
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in result.stdout
    assert "DELETE_COMPLETE" in result.stdout
    assert "nothing left in SageMaker" in result.stdout
    assert "2 invocation(s)" in result.stdout
