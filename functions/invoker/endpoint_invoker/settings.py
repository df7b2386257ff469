"""The invoker's environment, parsed once per execution environment.

Plain Python rather than pydantic: importing pydantic would add about 80 ms to every cold start
of the invoker, for four variables.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from endpoint_common.sagemaker_names import SAGEMAKER_NAME_PATTERN

ENDPOINT_NAME = re.compile(SAGEMAKER_NAME_PATTERN)
REALTIME_PAYLOAD_LIMIT = 6 * 1024 * 1024
# Two attempts (a read timeout is retried) must fit in the function's 60 s timeout; a model
# slower than this belongs on an asynchronous endpoint.
DEFAULT_READ_TIMEOUT = "25"


class MisconfiguredInvoker(ValueError):
    """The function's environment is wrong: every request answers that, not a stack trace."""


@dataclass(frozen=True)
class InvokerSettings:
    endpoint_name: str
    async_bucket: str | None = None
    async_input_prefix: str = "async-input/"
    async_result_prefixes: tuple[str, ...] = ("async-output/", "async-failure/")
    read_timeout_seconds: float = float(DEFAULT_READ_TIMEOUT)

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> InvokerSettings:
        name = environment.get("SAGEMAKER_ENDPOINT_NAME", "")
        timeout = environment.get("RUNTIME_READ_TIMEOUT_SECONDS", DEFAULT_READ_TIMEOUT)
        problems = [_name_problem(name), _timeout_problem(timeout)]
        if any(problems):
            raise MisconfiguredInvoker("; ".join(problem for problem in problems if problem))
        return cls(
            endpoint_name=name,
            async_bucket=environment.get("ASYNC_BUCKET") or None,
            async_input_prefix=environment.get("ASYNC_INPUT_PREFIX", "async-input/"),
            read_timeout_seconds=float(timeout),
        )


def _name_problem(name: str | None) -> str | None:
    if not name:
        return "SAGEMAKER_ENDPOINT_NAME is not set"
    if not ENDPOINT_NAME.match(name):
        return (
            f"SAGEMAKER_ENDPOINT_NAME={name!r} is invalid: not a SageMaker endpoint name "
            "(1-63 letters, digits or hyphens)"
        )
    return None


def _timeout_problem(timeout: str) -> str | None:
    try:
        # "inf" and "nan" parse as floats, but a socket timeout must be a finite number.
        if math.isfinite(float(timeout)) and float(timeout) > 0:
            return None
    except ValueError:
        pass
    return (
        f"RUNTIME_READ_TIMEOUT_SECONDS={timeout!r} is invalid: must be a finite number of "
        "seconds > 0"
    )
