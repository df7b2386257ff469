"""Traced as Lambda traces: an unsampled invocation costs the X-Ray SDK nothing and sends
nothing, but passes the decision on; a sampled one keeps its subsegments."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from localaws.functions import invoker_environment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def daemon():
    """A UDP socket standing in for the X-Ray daemon."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.2)
    yield listener
    listener.close()


def received(daemon):
    """The subsegments the daemon got, in order (each datagram: a header line, then JSON)."""
    found = []
    while True:
        try:
            datagram = daemon.recv(65536)
        except TimeoutError:
            return found
        found.append(json.loads(datagram.decode().split("\n", 1)[1]))


def run_traced(daemon, decisions):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("POWERTOOLS_TRACE", "_X_AMZN", "AWS_"))
    }
    environment |= invoker_environment("http://127.0.0.1:9", tracing=True)
    environment |= {
        "AWS_XRAY_DAEMON_ADDRESS": f"127.0.0.1:{daemon.getsockname()[1]}",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "layers/shared"), str(ROOT / "functions/invoker"), str(ROOT)]
        ),
    }
    del environment["_X_AMZN_TRACE_ID"]
    arguments = ["1" if sampled else "0" for sampled in decisions]
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.traced_invoker", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("HEADERS ")]
    return json.loads(line.removeprefix("HEADERS ")), received(daemon)


def test_only_sampled_invocations_are_traced(daemon):
    # Given the invoker with active tracing: a sampled first invocation, an unsampled one, and
    # a sampled one again, each under its own trace ID as Lambda gives them
    headers, subsegments = run_traced(daemon, [True, False, True])
    first_header, unsampled_header, last_header = headers

    # Then the unsampled request sent nothing to X-Ray, and SageMaker got Lambda's own header
    # (Sampled=0) as botocore sends it on from any Lambda function (recursion detection)
    assert unsampled_header == (
        "Root=1-6747b7c8-000000000000000000000001;Parent=0000000000000002;Sampled=0;"
        "Lineage=a87bd80c:0"
    )
    traces = {s["trace_id"] for s in subsegments}
    assert traces == {"1-6747b7c8-000000000000000000000000", "1-6747b7c8-000000000000000000000002"}

    # And each sampled one has the handler's subsegment, annotated as Powertools' Tracer does
    # (the first invocation is the cold start), and the SageMaker call's, with the SDK's
    # metadata; SageMaker got the trace header naming that call's subsegment as its parent
    handlers = [s for s in subsegments if s["name"] == "## handler"]
    assert [h["annotations"] for h in handlers] == [
        {"ColdStart": True, "Service": "endpoint-invoker"},
        {"ColdStart": False, "Service": "endpoint-invoker"},
    ]
    calls = [s for s in subsegments if s["name"] == "runtime.sagemaker"]
    assert len(subsegments) == len(handlers) + len(calls) == 4
    for call, header in zip(calls, (first_header, last_header), strict=True):
        assert (call["namespace"], call["aws"]["operation"]) == ("aws", "InvokeEndpoint")
        assert call["http"]["response"]["status"] == 200
        assert header.startswith(f"Root={call['trace_id']};Parent={call['id']};Sampled=1")
