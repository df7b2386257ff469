"""One request to the endpoint and its answer, whatever event shape carried them. Pure data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

JSON = "application/json"

# What a caller may pass through to InvokeEndpoint, by SageMaker's header names.
PASS_THROUGH_HEADERS = {
    "x-amzn-sagemaker-target-variant": "TargetVariant",
    "x-amzn-sagemaker-target-model": "TargetModel",
    "x-amzn-sagemaker-target-container-hostname": "TargetContainerHostname",
    "x-amzn-sagemaker-inference-id": "InferenceId",
    "x-amzn-sagemaker-custom-attributes": "CustomAttributes",
    "x-amzn-sagemaker-inference-component": "InferenceComponentName",
}
ASYNC_OPTIONS = frozenset({"InferenceId", "CustomAttributes"})


class Mode(StrEnum):
    REALTIME = "realtime"
    ASYNC = "async"
    RESULT = "result"


@dataclass(frozen=True)
class Invocation:
    mode: Mode
    body: bytes = b""
    content_type: str | None = None
    accept: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    output_location: str | None = None
    failure_location: str | None = None


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)
    error_kind: str | None = None

    @classmethod
    def json(cls, status: int, document: Any, **headers: str) -> Answer:
        return cls(status, json.dumps(document).encode(), JSON, headers)

    @classmethod
    def error(
        cls, status: int, kind: str, message: str, retry_after: int | None = None, **details: Any
    ) -> Answer:
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        document = {"error": kind, "message": message, **details}
        return cls(status, json.dumps(document).encode(), JSON, headers, kind)


class BadRequest(ValueError):
    """The event cannot be turned into an invocation; the message says why."""
