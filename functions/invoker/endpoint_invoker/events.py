"""Event shapes in, response shapes out: direct invocation, Lambda Function URL, API Gateway
HTTP API (payload 2.0) and REST API (payload 1.0) proxy events. Pure."""

from __future__ import annotations

import base64
import binascii
import json
from enum import StrEnum
from typing import Any

from endpoint_invoker.invocation import (
    JSON,
    PASS_THROUGH_HEADERS,
    Answer,
    BadRequest,
    Invocation,
    Mode,
)

MODE_HEADER = "x-invocation-mode"
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/csv", "+json", "+xml")

# Direct invocations name the pass-through fields in camel case.
DIRECT_OPTIONS = {
    "targetVariant": "TargetVariant",
    "targetModel": "TargetModel",
    "targetContainerHostname": "TargetContainerHostname",
    "inferenceId": "InferenceId",
    "customAttributes": "CustomAttributes",
    "inferenceComponentName": "InferenceComponentName",
}
DIRECT_FIELDS = {
    "body", "bodyBase64", "contentType", "accept", "mode", "outputLocation", "failureLocation",
    *DIRECT_OPTIONS,
}  # fmt: skip


class Shape(StrEnum):
    DIRECT = "direct"
    FUNCTION_URL = "function-url"
    HTTP_API = "http-api"
    REST_API = "rest-api"


def shape_of(event: Any) -> Shape:
    if not isinstance(event, dict):
        return Shape.DIRECT
    context = event.get("requestContext")
    if isinstance(context, dict) and event.get("version") == "2.0":
        is_url = ".lambda-url." in context.get("domainName", "")
        return Shape.FUNCTION_URL if is_url else Shape.HTTP_API
    if isinstance(context, dict) and "httpMethod" in event:
        return Shape.REST_API
    return Shape.DIRECT


def request_id(event: Any, shape: Shape) -> str | None:
    """The caller-visible request ID, for correlating logs with what the caller saw."""
    if shape is Shape.DIRECT:
        return None
    return event["requestContext"].get("requestId")


def parse(event: Any, shape: Shape) -> Invocation:
    return _parse_direct(event) if shape is Shape.DIRECT else _parse_http(event, shape)


def render(answer: Answer, shape: Shape) -> dict[str, Any]:
    return _render_direct(answer) if shape is Shape.DIRECT else _render_http(answer)


def _parse_http(event: dict[str, Any], shape: Shape) -> Invocation:
    headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
    query = event.get("queryStringParameters") or {}
    method = (
        event["httpMethod"]
        if shape is Shape.REST_API
        else event["requestContext"].get("http", {}).get("method", "POST")
    )
    if method == "GET" and query.get("location"):
        return Invocation(
            Mode.RESULT,
            output_location=query["location"],
            failure_location=query.get("failureLocation"),
        )
    if method != "POST":
        raise BadRequest(f"{method} is not supported: POST a payload, or GET ?location=s3://...")
    mode = Mode.ASYNC if "async" in (headers.get(MODE_HEADER), query.get("mode")) else Mode.REALTIME
    return Invocation(
        mode,
        body=_http_body(event),
        content_type=headers.get("content-type"),
        accept=headers.get("accept"),
        options={
            option: headers[header]
            for header, option in PASS_THROUGH_HEADERS.items()
            if headers.get(header)
        },
    )


def _http_body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return _decode_base64(body, "body")
    return body.encode()


def _parse_direct(event: Any) -> Invocation:
    """A direct invocation is either `{"body": ..., "contentType": ..., ...}` or, when it has
    none of those fields, a JSON document that is itself the payload."""
    if not (isinstance(event, dict) and ("body" in event or "bodyBase64" in event)):
        if isinstance(event, dict) and event.get("mode") == Mode.RESULT:
            return Invocation(
                Mode.RESULT,
                output_location=event.get("outputLocation"),
                failure_location=event.get("failureLocation"),
            )
        return Invocation(Mode.REALTIME, json.dumps(event).encode(), JSON)
    unknown = sorted(set(event) - DIRECT_FIELDS)
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; known: {sorted(DIRECT_FIELDS)}")
    body, default_type = _direct_body(event)
    return Invocation(
        _direct_mode(event),
        body=body,
        content_type=event.get("contentType", default_type),
        accept=event.get("accept"),
        options={
            option: str(event[field])
            for field, option in DIRECT_OPTIONS.items()
            if event.get(field)
        },
    )


def _direct_mode(event: dict[str, Any]) -> Mode:
    mode = event.get("mode", Mode.REALTIME)
    if mode not in (Mode.REALTIME, Mode.ASYNC):
        raise BadRequest(f"mode must be realtime or async, got {mode!r}")
    return Mode(mode)


def _direct_body(event: dict[str, Any]) -> tuple[bytes, str | None]:
    if "bodyBase64" in event:
        return _decode_base64(event["bodyBase64"], "bodyBase64"), None
    body = event["body"]
    if isinstance(body, str):
        return body.encode(), "text/plain"
    return json.dumps(body).encode(), JSON


def _decode_base64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{name} is not valid base64") from None


def _render_http(answer: Answer) -> dict[str, Any]:
    headers = {"Content-Type": answer.content_type, **answer.headers}
    text = _as_text(answer.content_type, answer.body)
    return {
        "statusCode": answer.status,
        "headers": headers,
        "body": text if text is not None else base64.b64encode(answer.body).decode(),
        "isBase64Encoded": text is None,
    }


def _render_direct(answer: Answer) -> dict[str, Any]:
    rendered: dict[str, Any] = {"statusCode": answer.status, "contentType": answer.content_type}
    rendered.update({_camel(name): value for name, value in answer.headers.items()})
    text = _as_text(answer.content_type, answer.body)
    if text is None:
        rendered["bodyBase64"] = base64.b64encode(answer.body).decode()
    elif answer.content_type.split(";")[0].strip().endswith("json") and text:
        rendered["body"] = json.loads(text)
    else:
        rendered["body"] = text
    return rendered


def _as_text(content_type: str, body: bytes) -> str | None:
    """The body as text when its type is textual and it decodes; None means send base64."""
    if not any(marker in content_type for marker in TEXT_TYPES):
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None


def _camel(header: str) -> str:
    """`X-Amzn-Invoked-Production-Variant` -> `invokedProductionVariant` for direct answers."""
    words = header.removeprefix("X-Amzn-SageMaker-").removeprefix("X-Amzn-").split("-")
    return words[0].lower() + "".join(word.capitalize() for word in words[1:])
