"""CPU per InvokeEndpoint call with the one botocore Config in each retry mode.

Two clients alike but for `retry_mode` (endpoint_common.aws.botocore_config) call the loopback
SageMaker Runtime in turn, 1 KB each; the calling thread's CPU time per call (not wall time,
which the shared machine's load swamps at this scale) gives p50/p99 per mode and their ratio.
What the invoker's choice of standard over adaptive retries rests on (bench/RESULTS.md).

    python -m bench.retry_modes [--calls 3000]
"""

from __future__ import annotations

import argparse
import os
import time

from bench.common import invoker_environment, say
from bench.runtime_server import RuntimeServer

MODES = ("adaptive", "standard")
WARMUP = 200


def run(calls: int) -> dict[str, tuple[float, float]]:
    with RuntimeServer() as server:
        os.environ.update(invoker_environment(server.url))
        import boto3

        from endpoint_common.aws import botocore_config

        session = boto3.session.Session()
        clients = {
            mode: session.client("sagemaker-runtime", config=botocore_config(5, 2, mode))
            for mode in MODES
        }
        body = b"x" * 1024
        spent: dict[str, list[float]] = {mode: [] for mode in MODES}
        for index in range(calls + WARMUP):
            # Alternating order, so that neither mode always follows the other.
            for mode in MODES if index % 2 else reversed(MODES):
                started = time.thread_time()
                clients[mode].invoke_endpoint(
                    EndpointName="churn", Body=body, ContentType="application/json"
                )["Body"].read()
                if index >= WARMUP:
                    spent[mode].append(time.thread_time() - started)
    found = {}
    for mode, values in spent.items():
        values.sort()
        found[mode] = (values[len(values) // 2], values[int(len(values) * 0.99)])
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per mode")
    arguments = parser.parse_args()
    found = run(arguments.calls)
    for mode, (p50, p99) in found.items():
        say(f"{mode}: CPU per call p50 {p50 * 1e6:.0f} us, p99 {p99 * 1e6:.0f} us")
    adaptive, standard = found["adaptive"][0], found["standard"][0]
    say(f"adaptive - standard at p50: {(adaptive - standard) * 1e6:+.0f} us per call")


if __name__ == "__main__":
    main()
