"""What every benchmark shares: the machine, percentiles, quiet stdout, loading a function.

Imports nothing from functions/ or layers/, and from localaws/ only the moto-free Lambda
stand-in (`localaws.functions`): a benchmark sets the environment first, then imports the code
it measures.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from localaws import functions

ROOT = Path(__file__).resolve().parent.parent
# The functions/ and layers/ to measure: this repository's, or (BENCH_CODE_ROOT) a copy with a
# change to try, so that a proposed optimisation can be measured before it is made.
CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or ROOT).resolve()
LAMBDA_PATH = ("layers/shared", "functions/provider", "functions/invoker")


def lambda_pythonpath() -> str:
    """What Lambda puts on sys.path (the layer, the function folders), then this repository
    for bench/ and localaws/: PYTHONPATH=$(LAMBDA_PATH) as the Makefile sets it."""
    return os.pathsep.join([*(str(CODE_ROOT / part) for part in LAMBDA_PATH), str(ROOT)])


def invoker_environment(runtime_url: str, *, tracing: bool = False) -> dict[str, str]:
    """The invoker's environment, its LAMBDA_TASK_ROOT in the code measured."""
    return functions.invoker_environment(runtime_url, root=CODE_ROOT, tracing=tracing)


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py of the code measured, as Lambda loads it."""
    return functions.load_function(name, root=CODE_ROOT)


def invoker_context(timeout_seconds: float) -> functions.LambdaContext:
    """The context Lambda gives the invoker (template.yaml's MemorySize), counting down from
    `timeout_seconds`."""
    return functions.LambdaContext(
        "invoker",
        functions.function_arn("invoker"),
        timeout_seconds,
        log_group_name="/aws/lambda/invoker",
        memory_limit_in_mb=512,
    )


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Sends file descriptor 1 to /dev/null (Powertools logs and metrics print there on every
    invocation: the cost stays, the noise goes)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def say(*parts: object) -> None:
    """Progress, on stderr: stdout may be /dev/null, and belongs to the table."""
    print(*parts, file=sys.stderr, flush=True)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of `values` (unsorted is fine)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()} ({platform.platform(terse=True)})",
    }


def write_json(path: str | None, document: Any) -> None:
    if path:
        Path(path).write_text(json.dumps(document, indent=2))


def ratio(value: float, baseline: float) -> float:
    return value / baseline if baseline else float("inf")
