"""The provider's real handler, in-process, against moto + the SageMaker simulator, with its
responses captured over HTTPS as CloudFormation receives them."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import boto3
import pytest

from localaws.cloudformation import CloudFormation, LocalLambda, ResponseCollector
from localaws.server import LocalAws
from localaws.simulator import SimulatorSettings

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ROLE = "arn:aws:iam::123456789012:role/provider-default-sagemaker-role"
SIMULATED = SimulatorSettings(create_seconds=0.3, update_seconds=0.3, delete_seconds=0.2)
HANDOFF_MARGIN_SECONDS = 1.0


def load_function(name: str) -> ModuleType:
    """Imports functions/<name>/app.py under its own module name, as its own Lambda would."""
    spec = importlib.util.spec_from_file_location(f"{name}_app", ROOT / "functions" / name / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def local_aws():
    with LocalAws(settings=replace(SIMULATED)) as aws:
        yield aws


@pytest.fixture(scope="session")
def collector():
    with ResponseCollector() as responses:
        yield responses


@pytest.fixture(scope="session")
def provider_app(local_aws, collector):
    with pytest.MonkeyPatch.context() as patch:
        for key, value in {
            "AWS_ENDPOINT_URL": local_aws.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "SSL_CERT_FILE": collector.ca_file,
            "DEFAULT_EXECUTION_ROLE_ARN": DEFAULT_ROLE,
            "POLL_INTERVAL_SECONDS": "0.05",
            "HANDOFF_MARGIN_SECONDS": str(HANDOFF_MARGIN_SECONDS),
            "DEADLINE_MARGIN_SECONDS": "60",
            "POWERTOOLS_SERVICE_NAME": "endpoint-provider",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "Tests",
        }.items():
            patch.setenv(key, value)
        yield load_function("provider")


@pytest.fixture(autouse=True)
def fresh_aws(local_aws):
    """Every test starts from an empty account and the default simulated timings."""
    local_aws.reset()
    local_aws.simulator.settings = replace(SIMULATED)


@pytest.fixture
def sagemaker(provider_app):
    return boto3.client("sagemaker")


@pytest.fixture
def lambda_service(provider_app, monkeypatch):
    """Lambda running the provider with a 15-minute timeout, continuing in-process."""
    service = LocalLambda(provider_app.handler, timeout_seconds=900)
    monkeypatch.setattr(provider_app, "continuation", lambda: service)
    return service


@pytest.fixture
def cloudformation(lambda_service, collector):
    return CloudFormation(lambda_service, collector, stack_name="churn-model")
