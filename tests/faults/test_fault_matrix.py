"""Every AWS call of create, update, replace, delete and hand-off, of endpoints and of inference
components, failing in every way that matters, at its first and its last occurrence: each
request gets exactly one answer, FAILED, with an actionable reason and the right physical ID,
and after CloudFormation's rollback nothing is left in SageMaker, Application Auto Scaling or
CloudWatch (but what the scenario set up)."""

from __future__ import annotations

import copy
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.faults.harness import FAULTS, FIGURES, LOGICAL_ID, FaultWorld, base_properties

# A SageMaker name may not exceed 63 characters; the reason never exceeds CloudFormation's 256.
REASON_LIMIT = 256


def autoscaled() -> dict[str, Any]:
    props = base_properties()
    variant = props["ProductionVariants"][0]
    variant["InitialInstanceCount"] = "2"
    variant["AutoScaling"] = {
        "MinCapacity": "1",
        "MaxCapacity": "4",
        "TargetInvocationsPerInstance": "70",
    }
    return props


def scales_to_zero() -> dict[str, Any]:
    """Async, scaling to zero: every call the provider can make, alarms included."""
    props = base_properties()
    props["AsyncInferenceConfig"] = {
        "OutputConfig": {
            "S3OutputPath": "s3://sagemaker-churn-async/out/",
            "S3FailurePath": "s3://sagemaker-churn-async/failed/",
        },
    }
    props["ProductionVariants"][0]["AutoScaling"] = {
        "MinCapacity": "0",
        "MaxCapacity": "3",
        "TargetBacklogPerInstance": "5",
    }
    return props


def bigger(props: dict[str, Any]) -> dict[str, Any]:
    """An instance type change: scaling is suspended around the update."""
    changed = copy.deepcopy(props)
    changed["ProductionVariants"][0]["InstanceType"] = "ml.c5.xlarge"
    return changed


COMPONENT = "Custom::SageMakerInferenceComponent"
COMPONENT_ID = "ChatModel"


def component() -> dict[str, Any]:
    """Copies scaling down to zero: every call the provider can make for a component, its
    scaling and the alarm that brings copies back included."""
    props = base_properties("create-inference-component.json")
    props["AutoScaling"] = {
        "MinCopies": "0",
        "MaxCopies": "3",
        "TargetInvocationsPerCopy": "10",
    }
    return props


def next_component() -> dict[str, Any]:
    """A new artifact rolled out with scaling suspended, and a wider scaling range."""
    changed = component()
    changed["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-llm-models/chat/v2/model.tar.gz"
    changed["AutoScaling"]["MaxCopies"] = "4"
    return changed


def moved_component() -> dict[str, Any]:
    return {**component(), "EndpointName": "llm-gpu-2"}


def _hosting_endpoints(*names: str) -> Callable[[FaultWorld], None]:
    def setup(world: FaultWorld) -> None:
        for index, name in enumerate(names):
            props = {**base_properties("create-component-endpoint.json"), "EndpointName": name}
            # Copies scaling to zero release every instance.
            props["ProductionVariants"][0]["ManagedInstanceScaling"]["MinInstanceCount"] = "0"
            created = world.cloudformation.create(f"GpuEndpoint{index}", props)
            assert created.status == "SUCCESS", created.reason

    return setup


def _with_component(*endpoints: str, endpoints_stay: bool = False) -> Callable[[FaultWorld], str]:
    """Endpoints and a component on the first; with `endpoints_stay`, the endpoints are what
    must be left afterwards."""

    def setup(world: FaultWorld) -> str:
        _hosting_endpoints(*endpoints)(world)
        if endpoints_stay:
            world.baseline = world.inventory()
        created = world.cloudformation.create(COMPONENT_ID, component(), resource_type=COMPONENT)
        assert created.status == "SUCCESS", created.reason
        return created.physical_id

    return setup


def _component_request(
    request_type: str, props: Callable[[], dict[str, Any]], old: Callable[[], dict[str, Any]]
) -> Callable[[FaultWorld, str | None], dict[str, Any]]:
    def request(world: FaultWorld, physical_id: str | None) -> dict[str, Any]:
        extra: dict[str, Any] = {"resource_type": COMPONENT}
        if request_type == "Update":
            extra["old_properties"] = old()
        if physical_id:
            extra["physical_id"] = physical_id
        return world.cloudformation.request(request_type, COMPONENT_ID, props(), **extra)

    return request


def renamed(props: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(props)
    changed["EndpointName"] = "churn-renamed"
    return changed


@dataclass(frozen=True)
class Scenario:
    """`setup` creates what the request works on and returns its physical ID (or None);
    `request` builds the request under test; `rollback` is what CloudFormation sends after a
    FAILED answer (the physical ID it knows). Afterwards the account holds nothing, or, for a
    rolled-back update (`restores`), exactly what it held before the update; a setup may name
    what must stay instead (`FaultWorld.baseline`)."""

    name: str
    setup: Callable[[FaultWorld], str | None]
    request: Callable[[FaultWorld, str | None], dict[str, Any]]
    rollback: Callable[[FaultWorld, dict[str, Any], str], list[str]]
    properties: Callable[[], dict[str, Any]]
    lambda_timeout: float | None = None
    create_seconds: float | None = None
    # The calls this scenario is about; the others are some other scenario's.
    calls: tuple[str, ...] | None = None
    restores: bool = False


def _create_ok(props: Callable[[], dict[str, Any]]) -> Callable[[FaultWorld], str]:
    def setup(world: FaultWorld) -> str:
        created = world.cloudformation.create(LOGICAL_ID, props())
        assert created.status == "SUCCESS", created.reason
        return created.physical_id

    return setup


def _delete(world: FaultWorld, physical_id: str, props: dict[str, Any]) -> list[str]:
    deleted = world.cloudformation.delete(LOGICAL_ID, physical_id, props)
    return [] if deleted.status == "SUCCESS" else [f"rollback Delete FAILED: {deleted.reason}"]


def _rollback_delete(world: FaultWorld, event: dict[str, Any], physical_id: str) -> list[str]:
    """CloudFormation's Delete of what the event's resource made (the user's retry, for a
    Delete that failed)."""
    deleted = world.cloudformation.send(
        {**event, "RequestType": "Delete", "PhysicalResourceId": physical_id, "RequestId": None}
        | _fresh_request(world, event)
    )
    return [] if deleted.status == "SUCCESS" else [f"rollback Delete FAILED: {deleted.reason}"]


def _rollback_update(world: FaultWorld, event: dict[str, Any], physical_id: str) -> list[str]:
    swapped = world.cloudformation.update(
        event["LogicalResourceId"],
        physical_id,
        event["OldResourceProperties"],
        event["ResourceProperties"],
        resource_type=event["ResourceType"],
    )
    return [] if swapped.status == "SUCCESS" else [f"rollback Update: {swapped.reason}"]


def _fresh_request(world: FaultWorld, event: dict[str, Any]) -> dict[str, Any]:
    """A new request ID and its ResponseURL, for another request about the same resource."""
    fresh = world.cloudformation.request("Delete", event["LogicalResourceId"], {})
    return {key: fresh[key] for key in ("RequestId", "ResponseURL")}


SCENARIOS = [
    Scenario(
        "create",
        setup=lambda world: None,
        request=lambda world, _: world.cloudformation.request(
            "Create", LOGICAL_ID, scales_to_zero()
        ),
        rollback=lambda world, event, pid: _delete(world, pid, event["ResourceProperties"]),
        properties=scales_to_zero,
    ),
    Scenario(
        "create across invocations",
        setup=lambda world: None,
        request=lambda world, _: world.cloudformation.request(
            "Create", LOGICAL_ID, base_properties()
        ),
        rollback=lambda world, event, pid: _delete(world, pid, event["ResourceProperties"]),
        properties=base_properties,
        # 120 s of Creating in invocations of 100 s that hand off 60 s before their end.
        lambda_timeout=100.0,
        create_seconds=120.0,
        calls=("lambda.Invoke",),
    ),
    Scenario(
        "update",
        setup=_create_ok(autoscaled),
        request=lambda world, pid: world.cloudformation.request(
            "Update", LOGICAL_ID, bigger(autoscaled()), old_properties=autoscaled(), physical_id=pid
        ),
        rollback=_rollback_update,
        properties=autoscaled,
        restores=True,
    ),
    Scenario(
        "replace",
        setup=_create_ok(base_properties),
        request=lambda world, pid: world.cloudformation.request(
            "Update",
            LOGICAL_ID,
            renamed(base_properties()),
            old_properties=base_properties(),
            physical_id=pid,
        ),
        rollback=_rollback_update,
        properties=base_properties,
        restores=True,
    ),
    Scenario(
        "component create",
        setup=lambda world: _hosting_endpoints("llm-gpu")(world),
        request=_component_request("Create", component, component),
        rollback=_rollback_delete,
        properties=component,
        restores=True,
    ),
    Scenario(
        "component update",
        setup=_with_component("llm-gpu"),
        request=_component_request("Update", next_component, component),
        rollback=_rollback_update,
        properties=component,
        restores=True,
    ),
    Scenario(
        "component replace",
        setup=_with_component("llm-gpu", "llm-gpu-2"),
        request=_component_request("Update", moved_component, component),
        rollback=_rollback_update,
        properties=component,
        restores=True,
    ),
    Scenario(
        "component delete",
        setup=_with_component("llm-gpu", endpoints_stay=True),
        request=_component_request("Delete", component, component),
        rollback=_rollback_delete,
        properties=component,
    ),
    Scenario(
        "delete",
        setup=_create_ok(scales_to_zero),
        request=lambda world, pid: world.cloudformation.request(
            "Delete", LOGICAL_ID, scales_to_zero(), physical_id=pid
        ),
        # A Delete that failed is retried by the user once the cause is fixed.
        rollback=lambda world, event, pid: _delete(world, pid, event["ResourceProperties"]),
        properties=scales_to_zero,
    ),
]


# How the provider can see a failed call: an AWS error (whatever its code), AWS out of reach,
# or a bug of its own. Every step fails each way; the kinds within a way take turns across
# steps (FAULT_MATRIX=full runs every kind at every step: nearly three times as long).
WAYS = (
    ("4xx", "5xx", "throttling", "access-denied"),
    ("connection", "connect-timeout", "read-timeout"),
    ("bug",),
)


def faults_for_step(index: int) -> list[str]:
    if os.environ.get("FAULT_MATRIX") == "full":
        return list(FAULTS)
    return [kinds[index % len(kinds)] for kinds in WAYS]


def run(world: FaultWorld, scenario: Scenario, arm: Callable[[], None]) -> tuple[Any, ...]:
    """Sets up, sends the request with the fault armed, and collects every answer to it."""
    world.reset()
    world.baseline = {}
    physical_id = scenario.setup(world)
    if scenario.restores:
        world.baseline = world.inventory()
    event = scenario.request(world, physical_id)
    if scenario.lambda_timeout:
        world.lambda_.timeout_seconds = scenario.lambda_timeout
    if scenario.create_seconds:
        world.aws.simulator.settings.create_seconds = scenario.create_seconds
    world.faults.calls.clear()
    arm()
    world.lambda_.invoke(event)
    while not world.collector.responses(event["RequestId"]) and world.lambda_.run_queued():
        pass
    calls = list(world.faults.calls)
    fired = world.faults.fired
    world.faults.disarm()
    world.lambda_.timeout_seconds = 900.0
    return event, world.collector.responses(event["RequestId"]), calls, fired


def expected_failure_id(event: dict[str, Any], success_id: str) -> str:
    """A failed Create names the endpoint it was making; the others keep their ID."""
    return success_id if event["RequestType"] == "Create" else event["PhysicalResourceId"]


def check_case(
    world: FaultWorld, scenario: Scenario, call: str, nth: int, fault: str, success_id: str
) -> tuple[list[str], int]:
    event, answers, _, fired = run(world, scenario, lambda: world.faults.arm(call, nth, fault))
    problems = []
    if len(answers) != 1:
        problems.append(f"{len(answers)} answers")
    elif fired == 0:
        problems.append("the fault never fired")
    else:
        answer = answers[0]
        if answer.status != "FAILED":
            problems.append(f"answered {answer.status}")
        if not answer.reason or len(answer.reason) > REASON_LIMIT:
            problems.append(f"reason of {len(answer.reason)} characters")
        if answer.physical_id != expected_failure_id(event, success_id):
            problems.append(f"physical ID {answer.physical_id}")
        if answer.size >= 4096:
            problems.append(f"{answer.size}-byte answer")
    standing = answers[0].physical_id if len(answers) == 1 else success_id
    problems += scenario.rollback(world, event, standing)
    now = world.inventory()
    extra = {
        kind: sorted(set(names) - set(world.baseline.get(kind, ()))) for kind, names in now.items()
    }
    missing = {kind: sorted(set(names) - set(now[kind])) for kind, names in world.baseline.items()}
    left = sum(map(len, extra.values()))
    if left:
        problems.append(f"left {extra}")
    if any(missing.values()):
        problems.append(f"lost {missing}")
    return problems, left


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_call_failing_every_way_gets_one_answer_and_leaves_nothing(world, scenario):
    # Given the calls the request makes when nothing fails
    _, answers, calls, _ = run(world, scenario, lambda: None)
    assert [a.status for a in answers] == ["SUCCESS"], [a.reason for a in answers]
    success_id = answers[0].physical_id
    occurrences = Counter(calls)
    steps = [
        (call, nth)
        for call in dict.fromkeys(calls)
        if scenario.calls is None or call in scenario.calls
        for nth in sorted({1, occurrences[call]})
    ]

    assert steps, f"{scenario.name}: none of {scenario.calls} was called"

    # When each of them fails, from its first and from its last occurrence on, each way
    failures = []
    for index, (call, nth) in enumerate(steps):
        for fault in faults_for_step(index):
            problems, left = check_case(world, scenario, call, nth, fault, success_id)
            name = f"{scenario.name}: {call}#{nth} {fault}"
            FIGURES.record(name, problems, left)
            if problems:
                failures.append(f"{name}: {'; '.join(problems)}")

    # Then every request got one FAILED answer and its rollback left nothing
    assert failures == [], "\n".join(failures)
