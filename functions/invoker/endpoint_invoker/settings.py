"""The invoker's environment, parsed once per execution environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field, ValidationError

# Whatever its case in the template, SageMaker lower-cases the name in ARNs; the template
# only admits lower case so that the IAM policy always matches.
ENDPOINT_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
REALTIME_PAYLOAD_LIMIT = 6 * 1024 * 1024


class InvokerSettings(BaseModel):
    endpoint_name: str = Field(alias="SAGEMAKER_ENDPOINT_NAME", pattern=ENDPOINT_NAME_PATTERN)
    async_bucket: str | None = Field(None, alias="ASYNC_BUCKET")
    async_input_prefix: str = Field("async-input/", alias="ASYNC_INPUT_PREFIX")
    async_result_prefixes: tuple[str, ...] = ("async-output/", "async-failure/")
    # Two attempts (a read timeout is retried) must fit in the function's 60 s timeout; a model
    # slower than this belongs on an asynchronous endpoint.
    read_timeout_seconds: float = Field(25.0, gt=0, alias="RUNTIME_READ_TIMEOUT_SECONDS")

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> InvokerSettings:
        try:
            return cls.model_validate(dict(environment))
        except ValidationError as error:
            raise MisconfiguredInvoker(
                "; ".join(_describe(problem, environment) for problem in error.errors())
            ) from None


class MisconfiguredInvoker(ValueError):
    """The function's environment is wrong: every request answers that, not a stack trace."""


def _describe(problem: dict, environment: Mapping[str, str]) -> str:
    variable = str(problem["loc"][0])
    if problem["type"] == "missing":
        return f"{variable} is not set"
    return f"{variable}={environment.get(variable)!r} is invalid: {problem['msg']}"
