"""Fan-out under throttling: many endpoint lifecycles (create, update, delete) at once, against
a SageMaker that throttles DescribeEndpoint and UpdateEndpoint; every one must succeed.

Each lifecycle runs on a thread of its own with its own CloudFormation stack and Lambda. Each
gets its own provider module too (its own crhelper resource and clients), as each concurrent
Lambda execution environment has: crhelper keeps the request it is answering on its one
CfnResource object, so two requests at once in one module would answer each other's
CloudFormation (`--shared-module` shows it). The baseline is the same fan-out, unthrottled,
in the same run. Time is real: the provider polls every 5 s as deployed; endpoint operations
take the simulator's default seconds.

    python -m bench.fan_out [--smoke] [--lifecycles N] [--rate R] [--shared-module] [--json F]
"""

from __future__ import annotations

import argparse
import json
import threading
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.common import median, quiet_stdout, ratio, say, write_json
from bench.provider_support import (
    LOGICAL_ID,
    Scaled,
    ThreadLocalContinuation,
    TimedLambda,
    base_properties,
    environment,
    load_provider,
    local_stack,
    with_model,
)
from localaws.cloudformation import CloudFormation
from localaws.sagemaker import SimulatorSettings

THROTTLED = ("DescribeEndpoint", "UpdateEndpoint")


@dataclass
class Outcome:
    index: int
    statuses: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    invocations: int = 0
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return not self.error and list(self.statuses.values()) == ["SUCCESS"] * 3


@dataclass
class FanOut:
    label: str
    lifecycles: int
    rate_per_s: float | None
    succeeded: int
    failed: list[str]
    wall_s: float
    request_p50_s: dict[str, float]
    request_max_s: dict[str, float]
    calls: dict[str, int]
    throttled: dict[str, int]
    invocations: int
    unfinished: int


def lifecycle(
    index: int, stack: CloudFormation, outcome: Outcome, start: threading.Barrier
) -> None:
    properties = base_properties()
    properties["ServiceTimeout"] = "900"
    updated = with_model(properties, "v2")
    try:
        start.wait()
        created = stack.create(LOGICAL_ID, properties)
        outcome.statuses["Create"], outcome.seconds["Create"] = created.status, created.seconds
        if created.status != "SUCCESS":
            raise RuntimeError(f"Create: {created.reason}")
        changed = stack.update(LOGICAL_ID, created.physical_id, updated, properties)
        outcome.statuses["Update"], outcome.seconds["Update"] = changed.status, changed.seconds
        if changed.status != "SUCCESS":
            raise RuntimeError(f"Update: {changed.reason}")
        deleted = stack.delete(LOGICAL_ID, created.physical_id, updated)
        outcome.statuses["Delete"], outcome.seconds["Delete"] = deleted.status, deleted.seconds
        if deleted.status != "SUCCESS":
            raise RuntimeError(f"Delete: {deleted.reason}")
    except Exception as error:
        outcome.error = f"{type(error).__name__}: {error}"
        if not isinstance(error, RuntimeError | AssertionError):
            outcome.error += "\n" + traceback.format_exc(limit=3)
    finally:
        outcome.invocations = stack.lambda_.invocations


def fan_out(
    aws: Any,
    collector: Any,
    label: str,
    lifecycles: int,
    rate: float | None,
    *,
    shared_module: bool,
    time_limit: float,
    time_scale: float = 1.0,
) -> FanOut:
    throttle = {operation: rate for operation in THROTTLED} if rate else {}
    aws.reset()
    aws.simulator.settings = SimulatorSettings(throttle=throttle, time_scale=time_scale)
    scaled = Scaled(time_scale)
    env = environment(aws, collector, scaled)
    continuation = ThreadLocalContinuation()
    shared = load_provider(env) if shared_module else None
    if shared is not None:
        shared.continuation = continuation
    stacks = []
    for index in range(lifecycles):
        module = shared or load_provider(env)
        service = TimedLambda(module.handler, timeout_seconds=scaled.lambda_timeout)
        if shared is None:
            module.continuation = lambda service=service: service
        stacks.append(CloudFormation(service, collector, stack_name=f"fanout-{index:02d}"))
    outcomes = [Outcome(index) for index in range(lifecycles)]
    start = threading.Barrier(lifecycles + 1)

    def run(index: int) -> None:
        continuation.bind(stacks[index].lambda_)
        lifecycle(index, stacks[index], outcomes[index], start)

    threads = [
        threading.Thread(target=run, args=(index,), daemon=True, name=f"lifecycle-{index}")
        for index in range(lifecycles)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(max(0.0, time_limit - (time.monotonic() - began)))
    wall = time.monotonic() - began
    unfinished = sum(thread.is_alive() for thread in threads)
    calls = Counter(aws.simulator.operations())
    throttled = dict(aws.simulator.throttled)
    per_request = {
        request: [o.seconds[request] for o in outcomes if request in o.seconds]
        for request in ("Create", "Update", "Delete")
    }
    return FanOut(
        label=label,
        lifecycles=lifecycles,
        rate_per_s=rate,
        succeeded=sum(outcome.succeeded for outcome in outcomes),
        failed=[
            f"#{outcome.index}: {outcome.error or outcome.statuses}"
            for outcome in outcomes
            if not outcome.succeeded
        ],
        wall_s=wall,
        request_p50_s={name: median(times) for name, times in per_request.items() if times},
        request_max_s={name: max(times) for name, times in per_request.items() if times},
        calls={operation: calls[operation] for operation in sorted(calls)},
        throttled=throttled,
        invocations=sum(outcome.invocations for outcome in outcomes),
        unfinished=unfinished,
    )


def run(
    *, smoke: bool, lifecycles: int | None, rate: float | None, shared_module: bool
) -> dict[str, Any]:
    # Smoke: fewer lifecycles, 20x faster (polls every 0.25 s), so throttling still bites.
    count = lifecycles or (4 if smoke else 50)
    limit = rate or (10.0 if smoke else 5.0)
    time_scale = 0.05 if smoke else 1.0
    time_limit = 30.0 if smoke else 150.0
    results = []
    with quiet_stdout(), local_stack(SimulatorSettings()) as (aws, collector):
        for label, throttle in (("unthrottled", None), ("throttled", limit)):
            say(
                f"  fan-out: {count} lifecycles, {label}"
                + (f" at {throttle}/s" if throttle else "")
            )
            result = fan_out(
                aws,
                collector,
                label,
                count,
                throttle,
                shared_module=shared_module,
                time_limit=time_limit,
                time_scale=time_scale,
            )
            results.append(result)
            say(
                f"    {result.succeeded}/{count} succeeded in {result.wall_s:.1f} s, "
                f"throttled {sum(result.throttled.values())} calls"
            )
    baseline, throttled = results
    return {
        "results": [asdict(result) for result in results],
        "wall_ratio": ratio(throttled.wall_s, baseline.wall_s),
        "time_scale": time_scale,
        "shared_module": shared_module,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="4 lifecycles, 20x faster")
    parser.add_argument("--lifecycles", type=int, help="how many at once (default 50)")
    parser.add_argument("--rate", type=float, help="throttled calls per second (default 5)")
    parser.add_argument(
        "--shared-module", action="store_true", help="one provider module for all threads"
    )
    parser.add_argument("--json", help="write the results here")
    arguments = parser.parse_args()
    outcome = run(
        smoke=arguments.smoke,
        lifecycles=arguments.lifecycles,
        rate=arguments.rate,
        shared_module=arguments.shared_module,
    )
    write_json(arguments.json, outcome)
    if not arguments.json:
        say(json.dumps(outcome, indent=2))


if __name__ == "__main__":
    main()
