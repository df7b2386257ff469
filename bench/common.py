"""What every benchmark shares: the machine, percentiles, quiet stdout, loading a function.

Imports nothing from functions/, layers/ or localaws/: a benchmark sets the environment first,
then imports the code it measures.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# The functions/ and layers/ to measure: this repository's, or (BENCH_CODE_ROOT) a copy with a
# change to try, so that a proposed optimisation can be measured before it is made.
CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or ROOT).resolve()
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
LAMBDA_PATH = ("layers/shared", "functions/provider", "functions/invoker")


def lambda_pythonpath() -> str:
    """What Lambda puts on sys.path (the layer, the function folders), then this repository
    for bench/ and localaws/: PYTHONPATH=$(LAMBDA_PATH) as the Makefile sets it."""
    return os.pathsep.join([*(str(CODE_ROOT / part) for part in LAMBDA_PATH), str(ROOT)])


# What the Lambda runtime and template.yaml give every function, minus the AWS endpoints.
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # Never read ~/.aws of whoever runs the benchmark.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def invoker_environment(runtime_url: str, *, tracing: bool = False) -> dict[str, str]:
    """The invoker's environment (template.yaml's Globals and InvokerFunction) against a local
    SageMaker Runtime. With `tracing`, what Lambda sets when the function's active tracing is
    on (the X-Ray daemon address is a loopback UDP port nobody needs to listen on)."""
    environment = {
        **DUMMY_AWS,
        "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": runtime_url,
        "SAGEMAKER_ENDPOINT_NAME": "churn",
        "POWERTOOLS_SERVICE_NAME": "endpoint-invoker",
        "POWERTOOLS_METRICS_NAMESPACE": "SageMakerEndpointProvider",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_LOGGER_LOG_EVENT": "false",
        "AWS_LAMBDA_FUNCTION_NAME": "invoker",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        # Lambda always sets it; the X-Ray SDK and Powertools take it to mean "in Lambda".
        "LAMBDA_TASK_ROOT": str(CODE_ROOT / "functions" / "invoker"),
        # As template.yaml sets it for the invoker.
        "TRACER_PATCH_MODULES": "botocore",
    }
    if tracing:
        environment |= {
            "_X_AMZN_TRACE_ID": (
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            ),
            "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        }
    else:
        environment["POWERTOOLS_TRACE_DISABLED"] = "true"
    return environment


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py under a module name of its own, as localaws.functions does (not
    imported from there: localaws imports moto, which a benchmark of the function must not
    pay for)."""
    spec = importlib.util.spec_from_file_location(
        f"{name}_app", CODE_ROOT / "functions" / name / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Context:
    """The parts of Lambda's context object the functions read."""

    function_name: str = "invoker"
    timeout_seconds: float = 60.0
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:invoker"
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/invoker"
    log_stream_name: str = "2026/01/01/[$LATEST]0123456789abcdef"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000), 0)


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
