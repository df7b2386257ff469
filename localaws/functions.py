"""The Lambda stand-in: the project's functions loaded, configured and called as Lambda would.

Shared by tests, the demo and benchmarks, so it imports nothing but the standard library: a
benchmark of a function's cold start must not pay for moto.
"""

from __future__ import annotations

import importlib.util
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
DEFAULT_ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/sagemaker-endpoint-provider-execution"
# What the Lambda runtime gives every function, minus the AWS endpoints.
LAMBDA_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # Never read ~/.aws of whoever runs the code.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def load_function(name: str, root: Path = ROOT) -> ModuleType:
    """Imports <root>/functions/<name>/app.py under a name of its own, as its own Lambda would:
    every function has an `app` module, and each Lambda sees only its own. `root` is another
    copy of the repository when a benchmark measures a proposed change."""
    spec = importlib.util.spec_from_file_location(
        f"{name}_app", root / "functions" / name / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"


@dataclass
class LambdaContext:
    """What the Lambda runtime passes a handler, with a real countdown."""

    function_name: str
    invoked_function_arn: str
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = field(
        default_factory=lambda: f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
    )
    memory_limit_in_mb: int = 256
    function_version: str = "$LATEST"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(int((self.timeout_seconds - elapsed) * 1000), 0)


def provider_environment(
    endpoint_url: str,
    ca_file: str,
    *,
    poll_interval: float,
    handoff_margin: float,
    role_arn: str = DEFAULT_ROLE_ARN,
    log_level: str = "INFO",
) -> dict[str, str]:
    """What template.yaml and the Lambda runtime give the provider, pointed at local AWS."""
    return {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        # crhelper answers over HTTPS; this trusts the local ResponseURL's certificate.
        "SSL_CERT_FILE": ca_file,
        "DEFAULT_EXECUTION_ROLE_ARN": role_arn,
        "POLL_INTERVAL_SECONDS": str(poll_interval),
        "HANDOFF_MARGIN_SECONDS": str(handoff_margin),
        "DEADLINE_MARGIN_SECONDS": "60",
        "POWERTOOLS_SERVICE_NAME": "endpoint-provider",
        "POWERTOOLS_METRICS_NAMESPACE": "SageMakerEndpointProvider",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": log_level,
    }


def invoker_environment(
    runtime_url: str, *, root: Path = ROOT, tracing: bool = False
) -> dict[str, str]:
    """The invoker's environment (template.yaml's Globals and InvokerFunction) against a local
    SageMaker Runtime, with the code under `root`. With `tracing`, what Lambda sets when the
    function's active tracing is on (the X-Ray daemon address is a loopback UDP port nobody
    needs to listen on)."""
    environment = {
        **LAMBDA_CREDENTIALS,
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
        "LAMBDA_TASK_ROOT": str(root / "functions" / "invoker"),
        # As template.yaml sets them for the invoker (InvokerTimeoutSeconds' default).
        "TRACER_PATCH_MODULES": "botocore",
        "INVOKER_TIMEOUT_SECONDS": "60",
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
