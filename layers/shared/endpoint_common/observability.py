"""One Logger, Tracer and Metrics setup for both functions.

Service name and metrics namespace come from the POWERTOOLS_* variables in template.yaml.

Tracer() imports the X-Ray SDK (about 0.1 s of a cold start) even when tracing is off, so it is
built only when it will trace: in Lambda (LAMBDA_TASK_ROOT), not under SAM local, and without
POWERTOOLS_TRACE_DISABLED, Powertools' own rule. Otherwise a stand-in whose decorators return
the function unchanged.

TRACER_PATCH_MODULES (comma-separated, e.g. `botocore`) limits what the Tracer patches. Unset,
it patches every library the X-Ray SDK supports that can be imported (Powertools' default):
importing each of them, and patching what a function never calls, costs the cold start. When it
names botocore, botocore is traced for sampled invocations only (trace_botocore_when_sampled).

Lambda decides whether an invocation is sampled (under the default rule, the first request each
second and 5 % of the others) and says so in the trace header it sets for each invocation,
`_X_AMZN_TRACE_ID` (`...;Sampled=0`). The X-Ray SDK does its bookkeeping for every traced call
all the same (it parses that header again at each step, about a dozen times a request, and builds
and ends "dummy" subsegments that are never sent): about 0.2 ms of an unsampled request on a
hot path of 1.3 ms (bench/RESULTS.md). capture_lambda_handler_when_sampled reads the decision
once per invocation, and it and trace_botocore_when_sampled leave unsampled invocations to run
as if untraced; sampled ones are traced as before.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.shared.functions import strtobool

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer


# Where the Lambda runtime puts each invocation's trace header.
TRACE_HEADER_VARIABLE = "_X_AMZN_TRACE_ID"
PROVISIONED = os.getenv("AWS_LAMBDA_INITIALIZATION_TYPE") == "provisioned-concurrency"


# The running invocation's trace header, read once by capture_lambda_handler_when_sampled for
# the calls it makes (reading the environment costs a microsecond each time); None outside it.
_running: list[str | None] = [None]


def trace_header() -> str:
    """The trace header Lambda set for the running invocation ("" when there is none)."""
    header = _running[0]
    return os.environ.get(TRACE_HEADER_VARIABLE, "") if header is None else header


def sampled() -> bool:
    """Whether Lambda sampled the running invocation for X-Ray."""
    return "Sampled=1" in trace_header()


def tracing_enabled() -> bool:
    disabled = strtobool(os.getenv("POWERTOOLS_TRACE_DISABLED", "false"))
    in_lambda = bool(os.getenv("LAMBDA_TASK_ROOT")) and not os.getenv("AWS_SAM_LOCAL")
    return in_lambda and not disabled


_Function = TypeVar("_Function", bound=Callable[..., Any])


class Untraced:
    """Tracer's interface, tracing nothing."""

    disabled = True

    @overload
    def capture_lambda_handler(
        self, lambda_handler: _Function, **_options: object
    ) -> _Function: ...
    @overload
    def capture_lambda_handler(
        self, lambda_handler: None = None, **_options: object
    ) -> Callable[[_Function], _Function]: ...
    def capture_lambda_handler(
        self, lambda_handler: _Function | None = None, **_options: object
    ) -> _Function | Callable[[_Function], _Function]:
        return lambda_handler if lambda_handler is not None else _unchanged

    @overload
    def capture_method(self, method: _Function, **_options: object) -> _Function: ...
    @overload
    def capture_method(
        self, method: None = None, **_options: object
    ) -> Callable[[_Function], _Function]: ...
    def capture_method(
        self, method: _Function | None = None, **_options: object
    ) -> _Function | Callable[[_Function], _Function]:
        return method if method is not None else _unchanged

    def put_annotation(self, key: str, value: Any) -> None:
        """Nothing to annotate."""

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        """Nothing to record."""


def _unchanged(function: _Function) -> _Function:
    return function


def capture_lambda_handler_when_sampled(handler: _Function) -> _Function:
    """The handler in a "## <name>" subsegment annotated with ColdStart and Service, as the
    Tracer's capture_lambda_handler makes it (capture_response=False), for sampled invocations;
    an unsampled one runs the handler alone. Untraced, the handler itself."""
    if isinstance(tracer, Untraced):
        return handler
    recorder, service, name = tracer.provider, tracer.service, f"## {handler.__name__}"
    cold = [not PROVISIONED]

    @functools.wraps(handler)
    def when_sampled(event: Any, context: Any) -> Any:
        cold_start, cold[0] = cold[0], False
        _running[0] = header = os.environ.get(TRACE_HEADER_VARIABLE, "")
        try:
            if "Sampled=1" not in header:
                return handler(event, context)
            with recorder.in_subsegment(name=name) as subsegment:
                subsegment.put_annotation(key="ColdStart", value=cold_start)
                if service:
                    subsegment.put_annotation(key="Service", value=service)
                return handler(event, context)
        finally:
            _running[0] = None

    return when_sampled  # type: ignore[return-value]


def trace_botocore_when_sampled() -> None:
    """The X-Ray SDK's botocore patch (a subsegment per AWS call, named by the service's endpoint
    prefix, with the SDK's own metadata, and the trace header sent on), for sampled invocations.

    Unsampled, a call goes as if untraced. It still carries Lambda's trace header (Sampled=0),
    so that a service downstream follows the decision: botocore sends it on from any Lambda
    function itself (its recursion detection), as the SDK's patch would have."""
    import botocore.client
    import wrapt  # type: ignore[import-untyped]
    from aws_xray_sdk.core import xray_recorder  # type: ignore[import-untyped]
    from aws_xray_sdk.ext.boto_utils import (  # type: ignore[import-untyped]
        aws_meta_processor,
        inject_header,
    )

    def make_api_call(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if "Sampled=1" not in trace_header():
            return wrapped(*args, **kwargs)
        return xray_recorder.record_subsegment(
            wrapped,
            instance,
            args,
            kwargs,
            name=instance.meta.service_model.endpoint_prefix,
            namespace="aws",
            meta_processor=aws_meta_processor,
        )

    def prepare_request(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        if "Sampled=1" in trace_header():
            return inject_header(wrapped, instance, args, kwargs)
        return wrapped(*args, **kwargs)

    # The SDK's own patch checks this mark, and leaves botocore alone from now on.
    botocore.client._xray_enabled = True  # type: ignore[attr-defined]
    wrapt.wrap_function_wrapper("botocore.client", "BaseClient._make_api_call", make_api_call)
    wrapt.wrap_function_wrapper("botocore.endpoint", "Endpoint.prepare_request", prepare_request)


logger = Logger()
metrics = Metrics()
tracer: Tracer | Untraced
if tracing_enabled():
    from aws_lambda_powertools import Tracer

    _patch = os.getenv("TRACER_PATCH_MODULES")
    _modules = _patch.split(",") if _patch else None
    if _modules is not None and "botocore" in _modules:
        tracer = Tracer(patch_modules=[module for module in _modules if module != "botocore"])
        trace_botocore_when_sampled()
    else:
        tracer = Tracer(patch_modules=_modules)
else:
    tracer = Untraced()
