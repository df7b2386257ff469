"""The provider's real handler, in-process, against moto + the SageMaker simulator, with its
responses captured over HTTPS as CloudFormation receives them."""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from localaws.cloudformation import CloudFormation, LocalLambda, ResponseCollector
from localaws.functions import load_function, provider_environment
from localaws.sagemaker import SimulatorSettings
from localaws.server import LocalAws

SIMULATED = SimulatorSettings(
    create_seconds=0.3,
    update_seconds=0.3,
    delete_seconds=0.2,
    component_create_seconds=0.3,
    component_update_seconds=0.3,
    component_delete_seconds=0.2,
)
HANDOFF_MARGIN_SECONDS = 1.0


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
    environment = provider_environment(
        local_aws.endpoint_url,
        collector.ca_file,
        poll_interval=0.05,
        handoff_margin=HANDOFF_MARGIN_SECONDS,
    )
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment.items():
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
