"""One request to the endpoint and its answer, whatever event shape carried them. Pure data."""

from __future__ import annotations

import json
import re
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
    "x-amzn-sagemaker-session-id": "SessionId",
}
# What InvokeEndpointAsync takes of them: no variant, model, container, component or session.
ASYNC_OPTIONS = frozenset({"InferenceId", "CustomAttributes"})
# What InvokeEndpoint answers besides the body, by the header names it uses (an HTTP answer
# carries them as headers, a direct one as camelCase fields: newSessionId).
ANSWER_HEADERS = {
    "InvokedProductionVariant": "X-Amzn-Invoked-Production-Variant",
    "CustomAttributes": "X-Amzn-SageMaker-Custom-Attributes",
    "NewSessionId": "X-Amzn-SageMaker-New-Session-Id",
    "ClosedSessionId": "X-Amzn-SageMaker-Closed-Session-Id",
}

# Every value below travels in an HTTP header of InvokeEndpoint. botocore checks neither
# pattern nor length, and http.client refuses CR/LF only once the request is being sent
# ("Invalid header value"); SageMaker refuses an over-long value with a dropped connection.
# So each is checked here against botocore's model of InvokeEndpoint (tests compare the two):
# its length bounds, and its pattern with `\p{ASCII}` and `\p{Print}` read as printable
# ASCII, since a header cannot carry control characters.
_PRINTABLE = r"[\x20-\x7e]*"
_ID = r"[\x21-\x7e][\x20-\x7e]*"
_NAME = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"
_COMPONENT = r"[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?"
_SESSION = rf"NEW_SESSION|{_NAME}"
HEADER_VALUES: dict[str, tuple[int, int, re.Pattern[str], str]] = {
    # option: (min length, max length, pattern, what the pattern means to a caller)
    "ContentType": (0, 1024, re.compile(_PRINTABLE), "printable ASCII"),
    "Accept": (0, 1024, re.compile(_PRINTABLE), "printable ASCII"),
    "CustomAttributes": (0, 1024, re.compile(_PRINTABLE), "printable ASCII"),
    "TargetModel": (1, 1024, re.compile(_ID), "printable ASCII, not starting with a space"),
    "InferenceId": (1, 64, re.compile(_ID), "printable ASCII, not starting with a space"),
    "TargetVariant": (0, 63, re.compile(_NAME), "letters, digits and inner hyphens"),
    "TargetContainerHostname": (0, 63, re.compile(_NAME), "letters, digits and inner hyphens"),
    "InferenceComponentName": (0, 63, re.compile(_COMPONENT), "letters, digits and hyphens"),
    "SessionId": (
        0,
        256,
        re.compile(_SESSION),
        "NEW_SESSION, or letters, digits and inner hyphens",
    ),
}


class Mode(StrEnum):
    REALTIME = "realtime"
    ASYNC = "async"
    RESULT = "result"


# Invocations and answers are never changed once made, but are not frozen: a frozen
# dataclass's __init__ sets each field through object.__setattr__, about a microsecond more per
# object on the hot path (bench/RESULTS.md).
@dataclass(slots=True)
class Invocation:
    mode: Mode
    body: bytes = b""
    content_type: str | None = None
    accept: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    output_location: str | None = None
    failure_location: str | None = None


@dataclass(slots=True)
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


class StreamingNotSupported(BadRequest):
    """The caller asked for the answer as a stream, which a Python function cannot send."""

    def __init__(self, how: str) -> None:
        super().__init__(
            f"{how} asks for a streamed answer (InvokeEndpointWithResponseStream), which this "
            "function cannot send: Lambda streams responses only from Node.js and custom "
            "runtimes. Ask without it for the whole answer at once, or call "
            "InvokeEndpointWithResponseStream directly (README: Streaming)"
        )


def header_value(option: str, value: Any, source: str) -> str:
    """`value` if SageMaker can take it as `option`, else BadRequest naming `source` (the
    header or field the caller used) and what is wrong, never echoing a hostile value."""
    low, high, pattern, meaning = HEADER_VALUES[option]
    if not isinstance(value, str):
        raise BadRequest(f"{source} must be a string, got {type(value).__name__}")
    if not low <= len(value) <= high:
        raise BadRequest(f"{source} must be {low} to {high} characters, got {len(value)}")
    if not pattern.fullmatch(value):
        raise BadRequest(f"{source} must be {meaning} (no CR, LF or other control characters)")
    return value
