"""Fan-out under throttling: many endpoint lifecycles (create, update, delete) at once, against
a SageMaker that throttles DescribeEndpoint and UpdateEndpoint; every one must succeed, in
little more time than the rate limit itself imposes.

Each lifecycle has its own CloudFormation stack, Lambda and provider module (its own crhelper
resource and clients, with their own retry quota and adaptive rate limiter), as each concurrent
Lambda execution environment has. Time is simulated (`bench.virtual_time`): one lifecycle runs
at a time and the clock moves only when all of them wait, so 200 lifecycles take the same
simulated path on two cores as on two hundred, every run. The provider polls every 5 s as
deployed; endpoint operations take the simulator's default seconds.

The bound is what the rate limit makes unavoidable: each lifecycle's UpdateEndpoint and one
DescribeEndpoint per wait (create: in service; update: settled, then in service; delete: gone),
all of them throttled, divided by the rate.

    python -m bench.fan_out [--smoke] [--lifecycles N ...] [--rate R] [--seeds S ...] [--json F]
"""

from __future__ import annotations

import argparse
import json
import random
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any
from unittest import mock

import boto3

from bench.common import median, quiet_stdout, say, write_json
from bench.provider_support import (
    LAMBDA_TIMEOUT,
    LOGICAL_ID,
    SilentTimer,
    base_properties,
    environment,
    load_provider,
    local_stack,
    with_model,
)
from bench.virtual_time import VirtualTime, botocore_on
from localaws.clock import ClockedLambda
from localaws.cloudformation import CloudFormation
from localaws.sagemaker import SimulatorSettings

THROTTLED = ("DescribeEndpoint", "UpdateEndpoint")
# The throttled calls no lifecycle can do without (see the module's docstring).
UNAVOIDABLE = {"UpdateEndpoint": 1, "DescribeEndpoint": 4}
REQUESTS = ("Create", "Update", "Delete")
# The bar (issue 18): every lifecycle succeeds, within this multiple of the bound (the median of
# the seeds' runs: each seed draws other jitter, and so another order of who gets through).
BOUND_BAR = 1.5
SEEDS = (1, 2, 3)


@dataclass
class Outcome:
    index: int
    statuses: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    finished: float = 0.0
    invocations: int = 0
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return not self.error and list(self.statuses.values()) == ["SUCCESS"] * len(REQUESTS)


@dataclass
class FanOut:
    lifecycles: int
    rate_per_s: float | None
    succeeded: int
    failed: list[str]
    # Simulated seconds, from the first request to the last answer.
    total_s: float
    bound_s: float
    describes_per_lifecycle: float
    # Calls SageMaker refused (each botocore attempt counts), per lifecycle.
    throttled_per_lifecycle: float
    request_p50_s: dict[str, float]
    request_max_s: dict[str, float]
    calls: dict[str, int]
    throttled: dict[str, int]
    invocations: int
    # Real seconds the run took.
    real_s: float
    unfinished: int

    @property
    def ratio(self) -> float:
        return self.total_s / self.bound_s if self.bound_s else 0.0


def bound(lifecycles: int, rate: float | None) -> float:
    return lifecycles * sum(UNAVOIDABLE.values()) / rate if rate else 0.0


def lifecycle(stack: CloudFormation, clock: VirtualTime, outcome: Outcome) -> None:
    properties = base_properties()
    updated = with_model(properties, "v2")
    try:
        physical_id = ""
        for request in REQUESTS:
            started = clock.now()
            if request == "Create":
                answer = stack.create(LOGICAL_ID, properties)
                physical_id = answer.physical_id
            elif request == "Update":
                answer = stack.update(LOGICAL_ID, physical_id, updated, properties)
            else:
                answer = stack.delete(LOGICAL_ID, physical_id, updated)
            outcome.statuses[request] = answer.status
            outcome.seconds[request] = clock.now() - started
            if answer.status != "SUCCESS":
                raise RuntimeError(f"{request}: {answer.reason}")
    except Exception as error:
        outcome.error = f"{type(error).__name__}: {error}"
        if not isinstance(error, RuntimeError | AssertionError):
            outcome.error += "\n" + traceback.format_exc(limit=3)
    finally:
        outcome.finished = clock.now()
        outcome.invocations = stack.lambda_.invocations


def provider_stack(
    index: int, env: dict[str, str], session: Any, clock: VirtualTime, collector: Any
) -> CloudFormation:
    """One lifecycle's provider module, Lambda and stack, every wait on `clock`."""
    # One botocore session for every module: service models are read once. Each module still
    # builds clients of its own, with their own retries and rate limiter.
    with mock.patch.object(boto3.session, "Session", lambda: session):
        module = load_provider(env)
    # Imported once a module has set the environment the provider reads at import.
    from endpoint_provider.cloudformation.delivery import DeliveryTiming, ResponseDelivery

    provisioners = module.build_provisioners(clock=clock.now, sleep=clock.sleep)
    module.provisioners = lambda: provisioners
    module.helper.delivery = ResponseDelivery(DeliveryTiming(), clock=clock.now, sleep=clock.sleep)
    module.helper.timer_factory = SilentTimer
    service = ClockedLambda(module.handler, "provider", LAMBDA_TIMEOUT, clock)
    module.continuation = lambda: service
    return CloudFormation(service, collector, stack_name=f"fanout-{index:03d}")


def fan_out(aws: Any, collector: Any, lifecycles: int, rate: float | None, seed: int) -> FanOut:
    clock = VirtualTime()
    throttle = {operation: rate for operation in THROTTLED} if rate else {}
    aws.reset()
    aws.simulator.settings = SimulatorSettings(throttle=throttle, clock=clock.now)
    env = environment(aws, collector, log_level="WARNING")
    session = boto3.session.Session()
    outcomes = [Outcome(index) for index in range(lifecycles)]
    random.seed(seed)
    began, real_start = clock.now(), time.monotonic()
    # Clients are built with the provisioners: their rate limiters must start on this clock.
    with botocore_on(clock):
        stacks = [provider_stack(i, env, session, clock, collector) for i in range(lifecycles)]
        done = clock.run(
            [
                lambda stack=stack, outcome=outcome: lifecycle(stack, clock, outcome)
                for stack, outcome in zip(stacks, outcomes, strict=True)
            ],
            real_time_limit=30.0 * lifecycles,
        )
    calls = Counter(aws.simulator.operations())
    throttled = dict(aws.simulator.throttled)
    per_request = {
        request: [o.seconds[request] for o in outcomes if request in o.seconds]
        for request in REQUESTS
    }
    return FanOut(
        lifecycles=lifecycles,
        rate_per_s=rate,
        succeeded=sum(outcome.succeeded for outcome in outcomes),
        failed=[
            f"#{outcome.index}: {outcome.error or outcome.statuses}"
            for outcome in outcomes
            if not outcome.succeeded
        ],
        total_s=max(outcome.finished for outcome in outcomes) - began,
        bound_s=bound(lifecycles, rate),
        describes_per_lifecycle=calls["DescribeEndpoint"] / lifecycles,
        throttled_per_lifecycle=sum(throttled.values()) / lifecycles,
        request_p50_s={name: median(times) for name, times in per_request.items() if times},
        request_max_s={name: max(times) for name, times in per_request.items() if times},
        calls={operation: calls[operation] for operation in sorted(calls)},
        throttled=throttled,
        invocations=sum(outcome.invocations for outcome in outcomes),
        real_s=time.monotonic() - real_start,
        unfinished=0 if done else sum(not outcome.finished for outcome in outcomes),
    )


def run(
    *, smoke: bool, lifecycles: list[int] | None, rate: float, seeds: list[int] | None
) -> dict[str, Any]:
    counts = lifecycles or ([10] if smoke else [50, 100, 200])
    seeds = seeds or ([1] if smoke else list(SEEDS))
    results = []
    with quiet_stdout(), local_stack(SimulatorSettings()) as (aws, collector):
        say(f"  fan-out: {counts[0]} lifecycles, unthrottled (what one lifecycle takes)")
        baseline = fan_out(aws, collector, counts[0], None, seeds[0])
        for count in counts:
            say(f"  fan-out: {count} lifecycles, DescribeEndpoint and UpdateEndpoint at {rate}/s")
            runs = []
            for seed in seeds:
                result = fan_out(aws, collector, count, rate, seed)
                runs.append(asdict(result) | {"ratio": result.ratio, "seed": seed})
                say(
                    f"    seed {seed}: {result.succeeded}/{count} succeeded in"
                    f" {result.total_s:.0f} s simulated ({result.ratio:.2f}x the bound of"
                    f" {result.bound_s:.0f} s), {result.describes_per_lifecycle:.1f}"
                    f" DescribeEndpoint per lifecycle; {result.real_s:.0f} s real"
                )
            results.append(
                {
                    "lifecycles": count,
                    "median_ratio": median([run["ratio"] for run in runs]),
                    "median_total_s": median([run["total_s"] for run in runs]),
                    "runs": runs,
                }
            )
    return {
        "baseline": asdict(baseline),
        "results": results,
        "rate_per_s": rate,
        "unavoidable": UNAVOIDABLE,
        "bar": BOUND_BAR,
        "seeds": seeds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="10 lifecycles")
    parser.add_argument(
        "--lifecycles", type=int, nargs="+", help="how many at once (default 50 100 200)"
    )
    parser.add_argument("--rate", type=float, default=5.0, help="throttled calls per second")
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="one run per seed of every jitter (default 1 2 3)"
    )
    parser.add_argument("--json", help="write the results here")
    arguments = parser.parse_args()
    outcome = run(
        smoke=arguments.smoke,
        lifecycles=arguments.lifecycles,
        rate=arguments.rate,
        seeds=arguments.seeds,
    )
    write_json(arguments.json, outcome)
    if not arguments.json:
        say(json.dumps(outcome, indent=2))


if __name__ == "__main__":
    main()
