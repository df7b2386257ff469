"""Invoker: forwards requests to the SageMaker endpoint named by SAGEMAKER_ENDPOINT_NAME.

Wiring only: the event's shape decides how it is read and answered; the invoker decides the
call; errors.answer_for maps every failure; telemetry keeps the logs and metrics of each request.
"""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING, Any

from endpoint_common.aws import AwsClients, botocore_config
from endpoint_common.observability import capture_lambda_handler_when_sampled, logger, metrics
from endpoint_invoker import errors, events
from endpoint_invoker.invocation import Answer, Invocation
from endpoint_invoker.invoker import Invoker
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import ATTEMPTS, CONNECT_TIMEOUT_SECONDS, InvokerSettings
from endpoint_invoker.telemetry import Telemetry

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

telemetry = Telemetry(logger, metrics.namespace, metrics.service)


@cache
def invoker() -> Invoker:
    settings = InvokerSettings.from_environment()
    # Standard retry mode: adaptive's client-side rate limiter costs ~50 us of CPU per call
    # (bench/RESULTS.md) and has nothing to learn from a single retry.
    clients = AwsClients(
        botocore_config(
            settings.read_timeout_seconds,
            max_attempts=ATTEMPTS,
            retry_mode="standard",
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
    )
    gateway = RuntimeGateway(clients.sagemaker_runtime, lambda: clients.s3, settings)
    return Invoker(gateway, settings.inference_component)


@capture_lambda_handler_when_sampled
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    shape = events.shape_of(event)
    telemetry.begin(context, events.request_id(event, shape))
    started = time.perf_counter()
    invocation, answer = _answer(event, shape, context.aws_request_id)
    telemetry.record(invocation, answer, (time.perf_counter() - started) * 1000)
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
