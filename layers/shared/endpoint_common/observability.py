"""One Logger, Tracer and Metrics setup for both functions.

Service name and metrics namespace come from the POWERTOOLS_* variables in template.yaml.

Tracer() imports the X-Ray SDK (about 0.1 s of a cold start) even when tracing is off, so it is
built only when it will trace: in Lambda (LAMBDA_TASK_ROOT), not under SAM local, and without
POWERTOOLS_TRACE_DISABLED, Powertools' own rule. Otherwise a stand-in whose decorators return
the function unchanged.

TRACER_PATCH_MODULES (comma-separated, e.g. `botocore`) limits what the Tracer patches. Unset,
it patches every library the X-Ray SDK supports that can be imported (Powertools' default):
importing each of them, and patching what a function never calls, costs the cold start.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.shared.functions import strtobool

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer


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


logger = Logger()
metrics = Metrics()
tracer: Tracer | Untraced
if tracing_enabled():
    from aws_lambda_powertools import Tracer

    patch_modules = os.getenv("TRACER_PATCH_MODULES")
    tracer = Tracer(patch_modules=patch_modules.split(",") if patch_modules else None)
else:
    tracer = Untraced()
