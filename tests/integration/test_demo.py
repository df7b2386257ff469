"""`make demo` plays every example stack end to end on the embedded local AWS."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
QUICK = ["--create-seconds", "0.3", "--update-seconds", "0.3", "--delete-seconds", "0.1"]
QUICK += ["--poll-interval", "0.05", "--lambda-timeout", "60", "--handoff-margin", "1"]
# Invocations shorter than each wait, so every wait continues in a fresh one, as in `make demo`.
HANDING_OFF = ["--create-seconds", "1.2", "--update-seconds", "1.2", "--delete-seconds", "0.1"]
HANDING_OFF += ["--poll-interval", "0.1", "--lambda-timeout", "2.5", "--handoff-margin", "1.5"]


def play(example, timings):
    environment = {
        **os.environ,
        # What Lambda sees, as pyproject.toml tells pytest.
        "PYTHONPATH": os.pathsep.join(
            tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
                "pythonpath"
            ]
        ),
    }
    return subprocess.run(
        [sys.executable, "-m", "localaws.demo", str(example), *timings],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_the_demo_plays_every_example_to_the_end(example):
    # When the demo deploys, updates and deletes the example stack
    result = play(example, QUICK)

    # Then every step ended as CloudFormation needs, and nothing was left behind
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CREATE_COMPLETE" in result.stdout
    assert "DELETE_COMPLETE" in result.stdout
    assert "nothing left in SageMaker" in result.stdout
    # And the new endpoint answered through the invoker
    assert "invoke" in result.stdout and " -> 200 " in result.stdout


def test_the_demo_continues_long_waits_in_fresh_invocations():
    # When the default example plays with invocations shorter than each wait
    result = play(ROOT / "examples" / "realtime-endpoint.yaml", HANDING_OFF)

    # Then it still passes, each create and update spanning two invocations
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("2 invocation(s)") >= 3
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in result.stdout
