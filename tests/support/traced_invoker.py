"""The invoker as Lambda runs it with active tracing, in a process of its own (the X-Ray SDK
patches botocore for the whole process): `python -m tests.support.traced_invoker 0 1 1` handles
one request per argument, the invocation sampled (1) or not (0), each under a fresh trace header
as the Lambda runtime sets it, and prints on stderr, after `HEADERS `, the trace header each
SageMaker request carried, as JSON (stdout has the function's logs and metrics). Subsegments go
to the X-Ray daemon at AWS_XRAY_DAEMON_ADDRESS (the caller listens).

SageMaker Runtime is answered in the process (botocore's before-send hook, after the request is
prepared and its trace header set), echoing the body.
"""

from __future__ import annotations

import io
import json
import os
import sys
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from endpoint_common import observability
from endpoint_common.aws import botocore_config
from endpoint_invoker.invoker import Invoker
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import InvokerSettings
from localaws.functions import LambdaContext, load_function
from tests.support.events import load_event


def trace_header(index: int, sampled: bool) -> str:
    root = f"1-6747b7c8-{index:024x}"
    return f"Root={root};Parent={index + 1:016x};Sampled={int(sampled)};Lineage=a87bd80c:0"


def main(decisions: list[bool]) -> None:
    app = load_function("invoker")
    if observability.tracer.disabled:
        raise SystemExit("tracing is not active: LAMBDA_TASK_ROOT set, POWERTOOLS_TRACE_DISABLED?")
    client = boto3.client("sagemaker-runtime", config=botocore_config(5, max_attempts=1))
    headers: list[str | None] = []

    def echo(request: Any, **_: Any) -> AWSResponse:
        header = request.headers.get("X-Amzn-Trace-Id")
        headers.append(header.decode() if isinstance(header, bytes) else header)
        body = request.body if isinstance(request.body, bytes) else request.body.read()
        answer = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        answer["x-Amzn-Invoked-Production-Variant"] = "AllTraffic"
        return AWSResponse(request.url, 200, answer, io.BytesIO(body))

    client.meta.events.register("before-send.sagemaker-runtime.InvokeEndpoint", echo)
    gateway = RuntimeGateway(client, lambda: None, InvokerSettings("churn"))  # type: ignore[arg-type]
    app.invoker = lambda: Invoker(gateway)
    context = LambdaContext("invoker", "arn:aws:lambda:us-east-1:123456789012:function:invoker", 60)
    for index, sampled in enumerate(decisions):
        os.environ["_X_AMZN_TRACE_ID"] = trace_header(index, sampled)
        answer = app.handler(load_event("invoke-direct.json"), context)
        assert answer["statusCode"] == 200, answer
    print("HEADERS", json.dumps(headers), file=sys.stderr)


if __name__ == "__main__":
    main([argument == "1" for argument in sys.argv[1:]])
