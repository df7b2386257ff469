"""Provider reaction time: from the endpoint reaching its final state to CloudFormation
holding the SUCCESS response, and the DescribeEndpoint calls and Lambda invocations it took.

The simulator runs `time_scale` times faster than SageMaker; the provider's poll interval, the
Lambda timeout, the hand-off and deadline margins and ServiceTimeout are scaled by the same
factor, so a 40-minute deployment meets as many polls and hand-offs as it would for real.
Waiting is reported in simulated seconds. What the provider does once it has seen the state
(scaling, pruning, the HTTPS response) does not get faster with the simulation, so that part
is reported in real milliseconds and added to the total unscaled.

Baselines, in the same simulated seconds: crhelper's polling interval (120 s, so InService is
seen up to 120 s late, 60 s on average) and the CDK provider framework's (5 s).

    python -m bench.provider_reaction [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from itertools import pairwise
from typing import Any

from bench.common import quiet_stdout, say, write_json
from bench.provider_support import (
    LAMBDA_TIMEOUT,
    LOGICAL_ID,
    Scaled,
    base_properties,
    cloudformation,
    environment,
    load_provider,
    local_stack,
    scale_crhelper_timer,
    with_model,
)
from localaws.sagemaker import SimulatorSettings

CRHELPER_POLL = 120.0
CDK_PROVIDER_POLL = 5.0
# The bar: InService seen within this many simulated seconds, and no more than one
# DescribeEndpoint per this many simulated seconds per endpoint.
DETECT_BAR = 10.0
DESCRIBE_EVERY = 5.0
# boto3's endpoint_in_service waiter: DescribeEndpoint every 30 s.
WAITER_DELAY = 30.0


@dataclass
class Lifecycle:
    scenario: str
    request: str
    simulated_duration_s: float
    time_scale: float
    status: str
    detect_s: float
    answer_ms: float
    reaction_s: float
    describes: int
    describes_per_5s: float
    min_describe_gap_s: float
    # The longest wait between two looks: the worst case of `detect_s`.
    max_describe_gap_s: float
    gaps_under_5s: int
    short_gaps: list[str]
    invocations: int
    baseline: bool = False
    crhelper_detect_mean_s: float = CRHELPER_POLL / 2
    cdk_detect_mean_s: float = CDK_PROVIDER_POLL / 2


def describe_times(aws: Any, endpoint: str, since: float) -> list[float]:
    return [
        call.at
        for call in aws.simulator.calls_to("DescribeEndpoint")
        if call.params.get("EndpointName") == endpoint and call.at >= since
    ]


def _between(calls: list[Any], handoffs: list[float], earlier: float, later: float) -> str:
    """What separated two DescribeEndpoint calls that came closer than the poll interval."""
    if any(earlier < start <= later for start in handoffs):
        return "hand-off to a fresh invocation"
    between = sorted(
        {call.operation for call in calls if earlier < call.at < later} - {"DescribeEndpoint"}
    )
    return f"around {', '.join(between)}" if between else "no poll wait"


def measure(
    aws: Any,
    collector: Any,
    stack: Any,
    scaled: Scaled,
    scenario: str,
    request: str,
    duration: float,
    send: Any,
    endpoint_name: Any,
    start_operation: str,
) -> tuple[Lifecycle, Any]:
    """Sends one request; the endpoint's final state is due `duration` simulated seconds
    after the `start_operation` call (CreateEndpoint, UpdateEndpoint or DeleteEndpoint)."""
    calls_before = len(aws.simulator.calls)
    starts_before = len(stack.lambda_.starts)
    response = send()
    handoffs = stack.lambda_.starts[starts_before + 1 :]
    if response.status != "SUCCESS":
        raise AssertionError(f"{scenario} {request}: {response.status} {response.reason}")
    name = endpoint_name(response)
    calls = aws.simulator.calls[calls_before:]
    started = next(
        call.at
        for call in calls
        if call.operation == start_operation and call.params.get("EndpointName") == name
    )
    first_call = calls[0].at
    due = started + scaled.seconds(duration)
    describes = describe_times(aws, name, first_call)
    seen = next(at for at in describes if at >= due)
    arrived = collector.arrivals[response.body["RequestId"]]
    gaps = [later - earlier for earlier, later in pairwise(describes)]
    short = [
        _between(calls, handoffs, earlier, later)
        for earlier, later in pairwise(describes)
        if scaled.simulated(later - earlier) < DESCRIBE_EVERY
    ]
    span = scaled.simulated(arrived - first_call)
    detect = scaled.simulated(seen - due)
    answer = arrived - seen
    return (
        Lifecycle(
            scenario=scenario,
            request=request,
            simulated_duration_s=duration,
            time_scale=scaled.time_scale,
            status=response.status,
            detect_s=detect,
            answer_ms=answer * 1000,
            reaction_s=detect + answer,
            describes=len(describes),
            describes_per_5s=len(describes) / (span / DESCRIBE_EVERY) if span else 0.0,
            min_describe_gap_s=scaled.simulated(min(gaps)) if gaps else float("inf"),
            max_describe_gap_s=scaled.simulated(max(gaps)) if gaps else 0.0,
            gaps_under_5s=len(short),
            short_gaps=short,
            invocations=response.invocations,
        ),
        response,
    )


def waiter_baseline(aws: Any, scaled: Scaled, create_s: float) -> Lifecycle:
    """The same creation watched by boto3's own `endpoint_in_service` waiter (SageMaker's
    documented way to wait: DescribeEndpoint every 30 s), in the same simulated time."""
    import boto3

    sagemaker = boto3.client("sagemaker", endpoint_url=aws.endpoint_url)
    name, role = "bench-waiter", "arn:aws:iam::123456789012:role/sagemaker"
    sagemaker.create_model(ModelName=name, ExecutionRoleArn=role, PrimaryContainer={"Image": "i"})
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": name,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )
    calls_before = len(aws.simulator.calls)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
    sagemaker.get_waiter("endpoint_in_service").wait(
        EndpointName=name,
        WaiterConfig={"Delay": scaled.seconds(WAITER_DELAY), "MaxAttempts": 10_000},
    )
    returned = time.monotonic()
    started = aws.simulator.calls[calls_before].at
    due = started + scaled.seconds(create_s)
    describes = describe_times(aws, name, started)
    seen = next(at for at in describes if at >= due)
    span = scaled.simulated(returned - started)
    gaps = [later - earlier for earlier, later in pairwise(describes)]
    return Lifecycle(
        scenario="short",
        request=f"Create, boto3 waiter ({WAITER_DELAY:.0f} s)",
        simulated_duration_s=create_s,
        time_scale=scaled.time_scale,
        status="InService",
        detect_s=scaled.simulated(seen - due),
        answer_ms=(returned - seen) * 1000,
        reaction_s=scaled.simulated(seen - due) + (returned - seen),
        describes=len(describes),
        describes_per_5s=len(describes) / (span / DESCRIBE_EVERY) if span else 0.0,
        min_describe_gap_s=scaled.simulated(min(gaps)) if gaps else float("inf"),
        max_describe_gap_s=scaled.simulated(max(gaps)) if gaps else 0.0,
        gaps_under_5s=sum(1 for gap in gaps if scaled.simulated(gap) < DESCRIBE_EVERY),
        short_gaps=[],
        invocations=0,
        baseline=True,
    )


def scenario_lifecycle(
    aws: Any,
    collector: Any,
    scenario: str,
    create_s: float,
    update_s: float | None,
    delete_s: float | None,
    scale: float,
    *,
    waiter: bool = False,
) -> list[Lifecycle]:
    """Create (and then update and delete, when given their durations) one endpoint; with
    `waiter`, then the same creation watched by boto3's waiter, the baseline."""
    scaled = Scaled(scale)
    settings = SimulatorSettings(
        create_seconds=create_s,
        update_seconds=update_s or 1.0,
        delete_seconds=delete_s or 1.0,
        time_scale=scale,
    )
    results = []
    aws.reset()
    aws.simulator.settings = settings
    module = load_provider(environment(aws, collector, scaled))
    scale_crhelper_timer(module, scale)
    stack = cloudformation(module, collector, f"bench-{scenario}", scaled.seconds(LAMBDA_TIMEOUT))
    properties = scaled.properties(base_properties())
    lifecycle, created = measure(
        aws,
        collector,
        stack,
        scaled,
        scenario,
        "Create",
        create_s,
        lambda: stack.create(LOGICAL_ID, properties),
        lambda response: response.data["EndpointName"],
        "CreateEndpoint",
    )
    results.append(lifecycle)
    name = created.data["EndpointName"]
    if update_s is not None:
        updated_properties = with_model(properties, "v2")
        lifecycle, _ = measure(
            aws,
            collector,
            stack,
            scaled,
            scenario,
            "Update",
            update_s,
            lambda: stack.update(LOGICAL_ID, created.physical_id, updated_properties, properties),
            lambda _response: name,
            "UpdateEndpoint",
        )
        results.append(lifecycle)
        properties = updated_properties
    if delete_s is not None:
        lifecycle, _ = measure(
            aws,
            collector,
            stack,
            scaled,
            scenario,
            "Delete",
            delete_s,
            lambda: stack.delete(LOGICAL_ID, created.physical_id, properties),
            lambda _response: name,
            "DeleteEndpoint",
        )
        results.append(lifecycle)
    if waiter:
        results.append(waiter_baseline(aws, scaled, create_s))
    return results


def run(*, smoke: bool) -> dict[str, Any]:
    if smoke:
        plans = [("short", 120.0, 120.0, 60.0, 0.005), ("long", 950.0, None, None, 0.003)]
    else:
        plans = [("short", 120.0, 120.0, 60.0, 0.02), ("long", 2400.0, None, None, 0.008)]
    # A hand-off needs the deployment to outlast one 900 s invocation.
    assert plans[-1][1] > LAMBDA_TIMEOUT
    results: list[Lifecycle] = []
    with quiet_stdout(), local_stack(SimulatorSettings()) as (aws, collector):
        for scenario, create_s, update_s, delete_s, scale in plans:
            say(f"  provider reaction: {scenario} ({create_s:.0f} s simulated, scale {scale})")
            lifecycles = scenario_lifecycle(
                aws,
                collector,
                scenario,
                create_s,
                update_s,
                delete_s,
                scale,
                waiter=scenario == "short",
            )
            for lifecycle in lifecycles:
                results.append(lifecycle)
                say(
                    f"    {lifecycle.request}: detected {lifecycle.detect_s:.1f} s after, "
                    f"answered {lifecycle.answer_ms:.0f} ms later; {lifecycle.describes} "
                    f"DescribeEndpoint, {lifecycle.invocations} invocation(s)"
                )
    return {
        "results": [asdict(result) for result in results],
        "bars": {"detect_s": DETECT_BAR, "describe_every_s": DESCRIBE_EVERY},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="shorter simulated deployments")
    parser.add_argument("--json", help="write the results here")
    arguments = parser.parse_args()
    outcome = run(smoke=arguments.smoke)
    write_json(arguments.json, outcome)
    if not arguments.json:
        say(json.dumps(outcome, indent=2))


if __name__ == "__main__":
    main()
