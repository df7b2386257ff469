"""The invoker's environment, parsed once per execution environment.

Plain Python rather than pydantic: importing pydantic would add about 80 ms to every cold start
of the invoker, for a handful of variables.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from endpoint_common.sagemaker_names import SAGEMAKER_NAME_PATTERN
from endpoint_invoker.invocation import HEADER_VALUES

ENDPOINT_NAME = re.compile(SAGEMAKER_NAME_PATTERN)
REALTIME_PAYLOAD_LIMIT = 6 * 1024 * 1024
# A model slower than the read timeout belongs on an asynchronous endpoint.
DEFAULT_READ_TIMEOUT = "25"
# How the runtime client calls SageMaker: two attempts (one retry: enough for a throttled call),
# each connecting within CONNECT_TIMEOUT_SECONDS (a VPC interface endpoint answers in
# milliseconds; 2 s allows one lost SYN) and reading within the read timeout. Before its retry,
# botocore's standard mode waits at most 1 s (throttling) plus what the service asks for in
# x-amz-retry-after, capped at 5 s more; a timed-out attempt is retried after at most 50 ms.
ATTEMPTS = 2
CONNECT_TIMEOUT_SECONDS = 2.0
RETRY_WAIT_SECONDS = 1.0


class MisconfiguredInvoker(ValueError):
    """The function's environment is wrong: every request answers that, not a stack trace."""


def seconds_needed(read_timeout: float) -> float:
    """The longest a SageMaker call can take: every attempt connecting and reading up to its
    timeouts, and the wait before the retry. The function's timeout must not be shorter, or
    Lambda ends the invocation before the invoker can answer (template.yaml's
    InvokerTimeoutSeconds has this for its MinValue at the default read timeout)."""
    return ATTEMPTS * (CONNECT_TIMEOUT_SECONDS + read_timeout) + RETRY_WAIT_SECONDS


@dataclass(frozen=True)
class InvokerSettings:
    endpoint_name: str
    async_bucket: str | None = None
    async_input_prefix: str = "async-input/"
    async_result_prefixes: tuple[str, ...] = ("async-output/", "async-failure/")
    read_timeout_seconds: float = float(DEFAULT_READ_TIMEOUT)
    # The inference component a request names none goes to (SAGEMAKER_INFERENCE_COMPONENT_NAME).
    inference_component: str | None = None

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> InvokerSettings:
        name = environment.get("SAGEMAKER_ENDPOINT_NAME", "")
        timeout = environment.get("RUNTIME_READ_TIMEOUT_SECONDS", DEFAULT_READ_TIMEOUT)
        component = environment.get("SAGEMAKER_INFERENCE_COMPONENT_NAME") or None
        problems = [
            _name_problem(name),
            _timeout_problem(timeout, environment.get("INVOKER_TIMEOUT_SECONDS")),
            _component_problem(component),
        ]
        if any(problems):
            raise MisconfiguredInvoker("; ".join(problem for problem in problems if problem))
        return cls(
            endpoint_name=name,
            async_bucket=environment.get("ASYNC_BUCKET") or None,
            async_input_prefix=environment.get("ASYNC_INPUT_PREFIX", "async-input/"),
            read_timeout_seconds=float(timeout),
            inference_component=component,
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


def _timeout_problem(timeout: str, function_timeout: str | None) -> str | None:
    try:
        # "inf" and "nan" parse as floats, but a socket timeout must be a finite number.
        valid = math.isfinite(float(timeout)) and float(timeout) > 0
    except ValueError:
        valid = False
    if not valid:
        return (
            f"RUNTIME_READ_TIMEOUT_SECONDS={timeout!r} is invalid: must be a finite number of "
            "seconds > 0"
        )
    if function_timeout is None:
        return None
    needed = seconds_needed(float(timeout))
    if function_timeout.isdigit() and int(function_timeout) >= needed:
        return None
    return (
        f"RUNTIME_READ_TIMEOUT_SECONDS={timeout} does not fit the function's timeout "
        f"(INVOKER_TIMEOUT_SECONDS={function_timeout!r}): {ATTEMPTS} attempts of "
        f"{CONNECT_TIMEOUT_SECONDS:g} s to connect and {float(timeout):g} s to read, and "
        f"{RETRY_WAIT_SECONDS:g} s before the retry, take up to {needed:g} s; raise "
        f"InvokerTimeoutSeconds to at least {math.ceil(needed)} or lower the read timeout to "
        f"at most {_largest_read_timeout(function_timeout)}"
    )


def _largest_read_timeout(function_timeout: str) -> str:
    if not function_timeout.isdigit():
        return "what fits it"
    spare = int(function_timeout) - RETRY_WAIT_SECONDS - ATTEMPTS * CONNECT_TIMEOUT_SECONDS
    return f"{math.floor(spare / ATTEMPTS)} s" if spare >= ATTEMPTS else "nothing: it is too short"


def _component_problem(component: str | None) -> str | None:
    _, longest, pattern, meaning = HEADER_VALUES["InferenceComponentName"]
    if component is None or (len(component) <= longest and pattern.fullmatch(component)):
        return None
    return (
        f"SAGEMAKER_INFERENCE_COMPONENT_NAME={component[:80]!r} is invalid: not an inference "
        f"component name (1-{longest} {meaning}, not starting or ending with a hyphen)"
    )
