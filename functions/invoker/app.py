"""Invoker: forwards requests to the SageMaker endpoint named by SAGEMAKER_ENDPOINT_NAME.

Wiring only: the event's shape decides how it is read and answered; the invoker decides the
call; errors.answer_for maps every failure to a status.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.typing import LambdaContext

from endpoint_common.aws import AwsClients, botocore_config
from endpoint_common.observability import logger, metrics, tracer
from endpoint_invoker import errors, events
from endpoint_invoker.invocation import Answer, Invocation
from endpoint_invoker.invoker import Invoker
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import InvokerSettings


@cache
def invoker() -> Invoker:
    settings = InvokerSettings.from_environment()
    # One retry: enough for a throttled call, and two attempts still fit the timeout. Standard
    # mode: adaptive's client-side rate limiter costs ~50 us of CPU per call (bench/RESULTS.md)
    # and has nothing to learn from a single retry.
    clients = AwsClients(
        botocore_config(settings.read_timeout_seconds, max_attempts=2, retry_mode="standard")
    )
    return Invoker(RuntimeGateway(clients.sagemaker_runtime, lambda: clients.s3, settings))


@logger.inject_lambda_context(log_event=False)
# Powertools types what its decorators return as Callable[..., Any].
@tracer.capture_lambda_handler(capture_response=False)  # type: ignore[untyped-decorator]
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    shape = events.shape_of(event)
    logger.set_correlation_id(events.request_id(event, shape) or context.aws_request_id)
    started = time.perf_counter()
    invocation, answer = _answer(event, shape, context.aws_request_id)
    _measure(invocation, answer, (time.perf_counter() - started) * 1000)
    return events.render(answer, shape)


def _answer(event: Any, shape: events.Shape, request: str) -> tuple[Invocation | None, Answer]:
    invocation = None
    try:
        invocation = events.parse(event, shape)
        return invocation, invoker().answer(invocation)
    except Exception as error:
        answer = errors.answer_for(error, request)
        if answer.error_kind == errors.INTERNAL:
            # The caller gets a request ID to quote, never a stack trace; the log has it.
            logger.exception("invocation failed unexpectedly")
        return invocation, answer


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
