"""The invoker's bookkeeping of each request: its log context, its metrics and its log line.

The log keys are those Powertools' Logger.inject_lambda_context adds (cold_start, function_name,
function_memory_size, function_arn, function_request_id) and the correlation ID; the metrics are
the Embedded Metric Format documents Powertools' Metrics writes for the same metrics (a test
compares both with Powertools' own). They are written here directly: through Powertools'
decorators, add_metric and its serializer, the same work cost about 0.1 ms a request, as much as
the hot path allows for everything over the SageMaker call (bench/RESULTS.md).

Metrics: InvocationLatency (ms), RequestBytes, ResponseBytes by service; Errors by ErrorKind and
service; ColdStart by function_name and service, once per execution environment.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from endpoint_common.observability import PROVISIONED
from endpoint_invoker.invocation import Answer, Invocation

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class Telemetry:
    def __init__(
        self,
        logger: Logger,
        namespace: str | None,
        service: str | None,
        write: Callable[[str], object] = print,
    ):
        """`namespace` and `service` as Powertools resolves them (POWERTOOLS_METRICS_NAMESPACE,
        POWERTOOLS_SERVICE_NAME); `write` takes each EMF document's line (stdout, where Lambda
        sends it to CloudWatch Logs, which extracts the metrics)."""
        self._logger = logger
        # Where append_keys lands (Logger.append_keys reaches it through three properties),
        # and whether DEBUG lines are written at all (POWERTOOLS_LOG_LEVEL, read at start).
        self._log_keys = logger.registered_formatter
        self._debug = logger.log_level <= logging.DEBUG
        self._namespace = namespace
        self._service = {"service": service} if service else {}
        self._write = write
        self._metrics = not is_metrics_disabled()
        self._cold = not PROVISIONED
        self._requests = self._directive(
            ("InvocationLatency", "Milliseconds"),
            ("RequestBytes", "Bytes"),
            ("ResponseBytes", "Bytes"),
        )
        self._errors = self._directive(("Errors", "Count"), by="ErrorKind")
        self._cold_starts = self._directive(("ColdStart", "Count"), by="function_name")

    def begin(self, context: LambdaContext, correlation_id: str | None) -> None:
        """Every log line of this invocation carries its context and correlation ID (the front
        door's request ID, else Lambda's)."""
        cold_start, self._cold = self._cold, False
        self._log_keys.append_keys(
            cold_start=cold_start,
            function_name=context.function_name,
            function_memory_size=context.memory_limit_in_mb,
            function_arn=context.invoked_function_arn,
            function_request_id=context.aws_request_id,
            correlation_id=correlation_id or context.aws_request_id,
        )
        if cold_start and self._metrics:
            function_name = os.getenv("POWERTOOLS_METRICS_FUNCTION_NAME") or context.function_name
            self._emit(self._cold_starts, {"function_name": function_name, "ColdStart": [1.0]})

    def record(self, invocation: Invocation | None, answer: Answer, latency_ms: float) -> None:
        request_bytes = len(invocation.body) if invocation else 0
        if self._metrics:
            self._emit(
                self._requests,
                {
                    "InvocationLatency": [latency_ms],
                    "RequestBytes": [float(request_bytes)],
                    "ResponseBytes": [float(len(answer.body))],
                },
            )
            if answer.error_kind:
                self._emit(self._errors, {"ErrorKind": answer.error_kind, "Errors": [1.0]})
        # Successes are logged at DEBUG: an INFO line per request costs the hot path more than
        # the rest of the handler (bench/RESULTS.md); the metrics count them anyway.
        if answer.error_kind:
            log = self._logger.warning
        elif self._debug:
            log = self._logger.debug
        else:
            return
        log(
            "invocation answered",
            status=answer.status,
            mode=invocation.mode if invocation else None,
            error=answer.error_kind,
            request_bytes=request_bytes,
            response_bytes=len(answer.body),
            latency_ms=round(latency_ms, 1),
        )

    def _directive(self, *metrics: tuple[str, str], by: str | None = None) -> list[dict[str, Any]]:
        """EMF's CloudWatchMetrics: these (name, unit) metrics by a dimension and the service."""
        dimensions = [*([by] if by else []), *self._service]
        return [
            {
                "Namespace": self._namespace,
                "Dimensions": [dimensions],
                "Metrics": [{"Name": name, "Unit": unit} for name, unit in metrics],
            }
        ]

    def _emit(self, directive: list[dict[str, Any]], members: dict[str, Any]) -> None:
        """One EMF document: the directive, and its dimensions' and metrics' values."""
        document = {
            "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": directive},
            **self._service,
            **members,
        }
        self._write(orjson.dumps(document).decode())
