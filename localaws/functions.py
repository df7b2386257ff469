"""The project's Lambda functions, loaded and configured as Lambda would run them locally."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/sagemaker-endpoint-provider-execution"


def load_function(name: str) -> ModuleType:
    """Imports functions/<name>/app.py under a name of its own, as its own Lambda would: every
    function has an `app` module, and each Lambda sees only its own."""
    spec = importlib.util.spec_from_file_location(
        f"{name}_app", ROOT / "functions" / name / "app.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
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
