"""The provider's real handler, in-process, against moto + the SageMaker simulator, with its
responses captured over HTTPS as CloudFormation receives them.

Time is simulated (tests/support/clocked_provider.py): each test has its own clock, from the
same start, which SageMaker's transitions and everything the provider waits on read, so it
passes only when something waits and a test makes the same calls on any machine. Timings are
production's (5 s polls, 15-minute invocations handing off 60 s before their end) and
SageMaker's transitions take tens of seconds: simulated time is free.
"""

from __future__ import annotations

from dataclasses import replace

import boto3
import pytest

from localaws.clock import ClockedLambda, SimulatedClock
from localaws.cloudformation import CloudFormation, ResponseCollector
from localaws.sagemaker import SimulatorSettings
from localaws.server import LocalAws
from tests.support.clocked_provider import LAMBDA_TIMEOUT, loaded_provider, put_on_clock

SIMULATED = SimulatorSettings(
    create_seconds=30,
    update_seconds=30,
    delete_seconds=15,
    component_create_seconds=30,
    component_update_seconds=30,
    component_delete_seconds=15,
)


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
    with loaded_provider(local_aws.endpoint_url, collector.ca_file) as provider:
        yield provider


@pytest.fixture
def simulated_clock() -> SimulatedClock:
    """This test's time: it starts where every test's starts, and moves only when something
    waits."""
    return SimulatedClock()


@pytest.fixture(autouse=True)
def fresh_aws(local_aws, simulated_clock):
    """Every test starts from an empty account and the default simulated timings, on its
    clock."""
    local_aws.reset()
    local_aws.simulator.settings = replace(SIMULATED, clock=simulated_clock.now)


@pytest.fixture
def sagemaker(provider_app):
    return boto3.client("sagemaker")


@pytest.fixture
def lambda_service(provider_app, simulated_clock, monkeypatch):
    """Lambda running the provider with a 15-minute timeout, continuing in-process, all on the
    test's clock."""
    put_on_clock(provider_app, simulated_clock, monkeypatch)
    service = ClockedLambda(provider_app.handler, "provider", LAMBDA_TIMEOUT, simulated_clock)
    monkeypatch.setattr(provider_app, "continuation", lambda: service)
    return service


@pytest.fixture
def cloudformation(lambda_service, collector):
    return CloudFormation(lambda_service, collector, stack_name="churn-model")
