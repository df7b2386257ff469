"""Every AWS call of create, update, replace, delete and hand-off, of endpoints and of inference
components, failing in every way that matters, at its first and its last occurrence. A failure
that lasts gets exactly one answer, FAILED, with an actionable reason (the account's rate limit,
for throttling) and the right physical ID, inside the ServiceTimeout, and after CloudFormation's
rollback nothing is left in SageMaker, Application Auto Scaling or CloudWatch (but what the
scenario set up). A transient failure that passes (throttling, a 5xx, AWS out of reach for a
while) gets SUCCESS, and the account holds what it would have held had nothing failed."""

from __future__ import annotations

import copy
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.faults.harness import (
    FAULTS,
    FIGURES,
    LOGICAL_ID,
    TRANSIENT,
    FaultWorld,
    base_properties,
)

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
# A transient fault that passes: this many calls in a row fail, each standing for a call that
# failed after botocore's own retries (ten attempts each), and the next goes through.
PASSING_CALLS = 2
# The provider's own calls, which it retries; a refused hand-off (lambda.Invoke) is answered
# FAILED at once, since the invocation that makes it is about to end.
RETRIED_SERVICES = ("sagemaker", "application-auto-scaling", "cloudwatch")
# The ServiceTimeout of every request under test: one that meets a lasting transient failure
# retries it until its deadline, and every retry costs real time, even on the simulated clock.
SERVICE_TIMEOUT = 300
RATE_LIMIT_REASON = re.compile(r"the account's SageMaker rate limit throttled [1-9]\d* calls")


@dataclass(frozen=True)
class Fault:
    """`kind` failing from a step's call on: `times` calls in a row, or (None) every one;
    `retried` when the provider retries that call (not a hand-off's)."""

    kind: str
    retried: bool
    times: int | None = None

    @property
    def passes(self) -> bool:
        return self.times is not None

    def label(self) -> str:
        return f"{self.kind} x{self.times}" if self.passes else self.kind


def faults_for_step(index: int, call: str) -> list[Fault]:
    """The kinds whose turn it is, each failing for good; a transient one, where the provider
    retries it, failing for a while instead, and throttling both ways. Failing for good, the
    other transient kinds take the path throttling takes (retried until the deadline): the
    default matrix leaves them to the full one."""
    full = os.environ.get("FAULT_MATRIX") == "full"
    kinds = list(FAULTS) if full else [kinds[index % len(kinds)] for kinds in WAYS]
    retried = call.split(".")[0] in RETRIED_SERVICES
    faults = []
    for kind in kinds:
        if kind in TRANSIENT and retried:
            faults.append(Fault(kind, retried, PASSING_CALLS))
            if full or kind == "throttling":
                faults.append(Fault(kind, retried))
        else:
            faults.append(Fault(kind, retried))
    return faults


@dataclass(frozen=True)
class Run:
    event: dict[str, Any]
    answers: list[Any]
    calls: list[str]
    fired: int
    # Simulated seconds from the request to its answer.
    seconds: float


def run(world: FaultWorld, scenario: Scenario, arm: Callable[[], None]) -> Run:
    """Sets up, sends the request with the fault armed, and collects every answer to it."""
    world.reset()
    world.baseline = {}
    physical_id = scenario.setup(world)
    if scenario.restores:
        world.baseline = world.inventory()
    event = scenario.request(world, physical_id)
    event["ResourceProperties"]["ServiceTimeout"] = str(SERVICE_TIMEOUT)
    if scenario.lambda_timeout:
        world.lambda_.timeout_seconds = scenario.lambda_timeout
    if scenario.create_seconds:
        world.aws.simulator.settings.create_seconds = scenario.create_seconds
    world.faults.calls.clear()
    arm()
    started = world.clock.now()
    world.lambda_.invoke(event)
    while not world.collector.responses(event["RequestId"]) and world.lambda_.run_queued():
        pass
    calls = list(world.faults.calls)
    fired = world.faults.fired
    world.faults.disarm()
    world.lambda_.timeout_seconds = 900.0
    answers = world.collector.responses(event["RequestId"])
    return Run(event, answers, calls, fired, world.clock.now() - started)


def expected_failure_id(event: dict[str, Any], success_id: str) -> str:
    """A failed Create names the endpoint it was making; the others keep their ID."""
    return success_id if event["RequestType"] == "Create" else event["PhysicalResourceId"]


def answer_problems(outcome: Run, fault: Fault, success_id: str) -> list[str]:
    """What is wrong with the one answer: SUCCESS as if nothing failed for a fault that passes,
    else FAILED naming the physical ID it must, for a reason that fits."""
    answer = outcome.answers[0]
    if fault.passes:
        if answer.status != "SUCCESS":
            return [f"answered {answer.status}: {answer.reason}"]
        return [] if answer.physical_id == success_id else [f"physical ID {answer.physical_id}"]
    problems = []
    if answer.status != "FAILED":
        problems.append(f"answered {answer.status}")
    if not answer.reason or len(answer.reason) > REASON_LIMIT:
        problems.append(f"reason of {len(answer.reason)} characters")
    if fault.kind == "throttling" and fault.retried and not RATE_LIMIT_REASON.search(answer.reason):
        problems.append(f"reason does not name the rate limit: {answer.reason}")
    if answer.physical_id != expected_failure_id(outcome.event, success_id):
        problems.append(f"physical ID {answer.physical_id}")
    if answer.size >= 4096:
        problems.append(f"{answer.size}-byte answer")
    return problems


def account_problems(world: FaultWorld, expected: dict[str, list[str]]) -> tuple[list[str], int]:
    """How the account differs from what it should hold: resources left over, or lost."""
    now = world.inventory()
    extra = {kind: sorted(set(names) - set(expected.get(kind, ()))) for kind, names in now.items()}
    missing = {kind: sorted(set(names) - set(now[kind])) for kind, names in expected.items()}
    left = sum(map(len, extra.values()))
    problems = [f"left {extra}"] if left else []
    if any(missing.values()):
        problems.append(f"lost {missing}")
    return problems, left


def check_case(
    world: FaultWorld,
    scenario: Scenario,
    step: tuple[str, int],
    fault: Fault,
    clean: Run,
    clean_account: dict[str, list[str]],
) -> tuple[list[str], int]:
    call, nth = step
    outcome = run(world, scenario, lambda: world.faults.arm(call, nth, fault.kind, fault.times))
    success_id = clean.answers[0].physical_id
    problems = []
    if len(outcome.answers) != 1:
        problems.append(f"{len(outcome.answers)} answers")
    elif outcome.fired == 0:
        problems.append("the fault never fired")
    else:
        problems += answer_problems(outcome, fault, success_id)
    if outcome.seconds >= SERVICE_TIMEOUT:
        problems.append(f"answered after {outcome.seconds:.0f} s, past the ServiceTimeout")
    if fault.passes:
        found, left = account_problems(world, clean_account)
        return problems + found, left
    standing = outcome.answers[0].physical_id if len(outcome.answers) == 1 else success_id
    problems += scenario.rollback(world, outcome.event, standing)
    found, left = account_problems(world, world.baseline)
    return problems + found, left


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_call_failing_every_way_gets_one_answer_and_leaves_nothing(world, scenario):
    # Given the calls the request makes when nothing fails, and what it leaves the account
    clean = run(world, scenario, lambda: None)
    assert [a.status for a in clean.answers] == ["SUCCESS"], [a.reason for a in clean.answers]
    clean_account = world.inventory()
    occurrences = Counter(clean.calls)
    steps = [
        (call, nth)
        for call in dict.fromkeys(clean.calls)
        if scenario.calls is None or call in scenario.calls
        for nth in sorted({1, occurrences[call]})
    ]

    assert steps, f"{scenario.name}: none of {scenario.calls} was called"

    # When each of them fails, from its first and from its last occurrence on, each way, for
    # good and (transient kinds) for a while
    failures = []
    for index, step in enumerate(steps):
        for fault in faults_for_step(index, step[0]):
            problems, left = check_case(world, scenario, step, fault, clean, clean_account)
            name = f"{scenario.name}: {step[0]}#{step[1]} {fault.label()}"
            FIGURES.record(name, problems, left)
            if problems:
                failures.append(f"{name}: {'; '.join(problems)}")

    # Then a failure that lasted got one FAILED answer and its rollback left nothing, and one
    # that passed got SUCCESS and left the account as if nothing had failed
    assert failures == [], "\n".join(failures)
