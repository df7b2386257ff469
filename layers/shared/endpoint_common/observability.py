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

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.shared.functions import strtobool


def tracing_enabled() -> bool:
    disabled = strtobool(os.getenv("POWERTOOLS_TRACE_DISABLED", "false"))
    in_lambda = bool(os.getenv("LAMBDA_TASK_ROOT")) and not os.getenv("AWS_SAM_LOCAL")
    return in_lambda and not disabled


class Untraced:
    """Tracer's interface, tracing nothing."""

    disabled = True

    def capture_lambda_handler(self, lambda_handler: Any = None, **_options: Any) -> Any:
        return lambda_handler if lambda_handler is not None else (lambda handler: handler)

    def capture_method(self, method: Any = None, **_options: Any) -> Any:
        return method if method is not None else (lambda function: function)

    def put_annotation(self, key: str, value: Any) -> None:
        """Nothing to annotate."""

    def put_metadata(self, key: str, value: Any, namespace: str | None = None) -> None:
        """Nothing to record."""


logger = Logger()
metrics = Metrics()
if tracing_enabled():
    from aws_lambda_powertools import Tracer

    patch_modules = os.getenv("TRACER_PATCH_MODULES")
    tracer = Tracer(patch_modules=patch_modules.split(",") if patch_modules else None)
else:
    tracer = Untraced()
