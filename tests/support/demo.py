"""`make demo` as a subprocess: `python -m localaws.demo` with what Lambda sees on its path."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The demo's own timings, on a clock that moves only when something waits: instant, and the
# same on any machine.
SIMULATED = ["--simulated-time"]


def play(example: Path, timings: list[str]) -> subprocess.CompletedProcess[str]:
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
