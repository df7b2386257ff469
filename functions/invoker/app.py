"""Invoker: forwards requests to the SageMaker endpoint named by SAGEMAKER_ENDPOINT_NAME.

Wiring only: the event's shape decides how it is read and answered; the invoker decides the
call and maps every failure to a status.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from endpoint_common.aws import AwsClients, botocore_config
from endpoint_common.observability import logger, metrics, tracer
from endpoint_invoker import errors, events
from endpoint_invoker.invocation import Answer, BadRequest, Invocation
from endpoint_invoker.invoker import Invoker
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import InvokerSettings, MisconfiguredInvoker


@cache
def invoker() -> Invoker:
    settings = InvokerSettings.from_environment()
    # One retry: enough for a throttled call, and two attempts still fit the timeout.
    clients = AwsClients(botocore_config(settings.read_timeout_seconds, max_attempts=2))
    gateway = RuntimeGateway(clients.sagemaker_runtime, lambda: clients.s3, settings)
    return Invoker(gateway, settings.endpoint_name)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Any, context: Any) -> dict[str, Any]:
    shape = events.shape_of(event)
    logger.set_correlation_id(events.request_id(event, shape) or context.aws_request_id)
    started = time.perf_counter()
    invocation, answer = _answer(event, shape, context.aws_request_id)
    _measure(invocation, answer, (time.perf_counter() - started) * 1000)
    return events.render(answer, shape)


def _answer(event: Any, shape: events.Shape, request: str) -> tuple[Invocation | None, Answer]:
    try:
        invocation = events.parse(event, shape)
    except BadRequest as error:
        return None, Answer.error(400, "BadRequest", str(error))
    try:
        return invocation, invoker().answer(invocation)
    except MisconfiguredInvoker as error:
        return invocation, errors.configuration_error(str(error))
    except Exception:
        # The caller gets a request ID to quote, never a stack trace; the log has the trace.
        logger.exception("invocation failed unexpectedly")
        return invocation, Answer.error(500, "InternalError", f"request {request} failed")


def _measure(invocation: Invocation | None, answer: Answer, latency_ms: float) -> None:
    request_bytes = len(invocation.body) if invocation else 0
    metrics.add_metric(name="InvocationLatency", unit=MetricUnit.Milliseconds, value=latency_ms)
    metrics.add_metric(name="RequestBytes", unit=MetricUnit.Bytes, value=request_bytes)
    metrics.add_metric(name="ResponseBytes", unit=MetricUnit.Bytes, value=len(answer.body))
    if answer.error_kind:
        with single_metric(name="Errors", unit=MetricUnit.Count, value=1) as error_metric:
            error_metric.add_dimension(name="ErrorKind", value=answer.error_kind)
    # Successes are logged at DEBUG: an INFO line per request costs the hot path more than
    # the rest of the handler (bench/RESULTS.md); the metrics count them anyway.
    log = logger.warning if answer.error_kind else logger.debug
    log(
        "invocation answered",
        status=answer.status,
        mode=invocation.mode if invocation else None,
        error=answer.error_kind,
        request_bytes=request_bytes,
        response_bytes=len(answer.body),
        latency_ms=round(latency_ms, 1),
    )
