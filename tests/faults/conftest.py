"""Fixtures of the provider's fault suite (see harness.py), and its figures at the end of the
test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from endpoint_provider.cloudformation.handoff import LambdaContinuation
from localaws.clock import ClockedLambda, SimulatedClock
from localaws.cloudformation import CloudFormation, ResponseCollector
from localaws.server import LocalAws
from tests.faults.harness import FIGURES, SIMULATED, Faults, FaultWorld
from tests.support.clocked_provider import LAMBDA_TIMEOUT, loaded_provider, put_on_clock


@pytest.fixture(scope="session")
def fault_clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture(scope="session")
def fault_aws(fault_clock):
    with LocalAws(settings=replace(SIMULATED, clock=fault_clock.now)) as aws:
        yield aws


@pytest.fixture(scope="session")
def fault_collector():
    with ResponseCollector() as responses:
        yield responses


@pytest.fixture(scope="session")
def fault_app(fault_aws, fault_collector):
    # Hundreds of requests: their INFO lines would cost more than their AWS calls.
    with loaded_provider(
        fault_aws.endpoint_url, fault_collector.ca_file, log_level="WARNING"
    ) as provider:
        yield provider


@pytest.fixture
def fast_moto_dispatch(monkeypatch):
    """moto finds the backend for a request's host by listing its package folder, every
    request (a third of a call's time here); the answer for a host never changes."""
    find = DomainDispatcherApplication.get_backend_for_host
    found: dict[Any, Any] = {}

    def cached(self: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in found:
            found[host] = find(self, host)
        return found[host]

    monkeypatch.setattr(DomainDispatcherApplication, "get_backend_for_host", cached)


@pytest.fixture
def world(
    fault_app, fault_aws, fault_collector, fault_clock, fast_moto_dispatch, monkeypatch
) -> Iterator[FaultWorld]:
    app = fault_app
    put_on_clock(app, fault_clock, monkeypatch)
    continuation = LambdaContinuation(app.handoff_clients.lambda_)
    monkeypatch.setattr(app, "continuation", lambda: continuation)
    faults = Faults(
        [
            app.clients.sagemaker,
            app.clients.application_autoscaling,
            app.clients.cloudwatch,
            app.handoff_clients.lambda_,
        ]
    )
    lambda_ = ClockedLambda(app.handler, "provider", LAMBDA_TIMEOUT, fault_clock)
    faults.route_invokes_to(lambda_)
    world = FaultWorld(
        app,
        fault_aws,
        fault_collector,
        fault_clock,
        faults,
        lambda_,
        CloudFormation(lambda_, fault_collector, stack_name="churn-model"),
    )
    world.reset()
    yield world
    world.reset()
    faults.close()
    world.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES.scenarios:
        return
    terminalreporter.section("provider fault suite")
    terminalreporter.write_line(
        f"scenarios {FIGURES.scenarios}, survived {FIGURES.survived}, "
        f"resources left {FIGURES.resources_left}"
    )
    for failure in FIGURES.failures[:20]:
        terminalreporter.write_line(f"  not survived: {failure}")
