"""Event shapes in, response shapes out: direct invocation, Lambda Function URL, API Gateway
HTTP API (payload 2.0) and REST API (payload 1.0) proxy events. Pure.

An event is whatever JSON a caller managed to send: every field is checked for its type before
use, and anything unusable is a BadRequest that says which field and why.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from typing import Any

from endpoint_invoker import codec
from endpoint_invoker.invocation import (
    JSON,
    PASS_THROUGH_HEADERS,
    Answer,
    BadRequest,
    Invocation,
    Mode,
    header_value,
)

MODE_HEADER = "x-invocation-mode"
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/csv", "+json", "+xml")
# An S3 location is a URI: 1024 characters of key and 63 of bucket fit with room to spare.
LOCATION_LIMIT = 1200

# Direct invocations name the pass-through fields in camel case.
DIRECT_OPTIONS = {
    "targetVariant": "TargetVariant",
    "targetModel": "TargetModel",
    "targetContainerHostname": "TargetContainerHostname",
    "inferenceId": "InferenceId",
    "customAttributes": "CustomAttributes",
    "inferenceComponentName": "InferenceComponentName",
}
# {field or header: (option, how the caller named it)}, for the checks' messages.
DIRECT_OPTION_SOURCES = {name: (option, f"field {name}") for name, option in DIRECT_OPTIONS.items()}
HEADER_OPTION_SOURCES = {
    name: (option, f"header {name}") for name, option in PASS_THROUGH_HEADERS.items()
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
        domain = context.get("domainName")
        is_url = isinstance(domain, str) and ".lambda-url." in domain
        return Shape.FUNCTION_URL if is_url else Shape.HTTP_API
    if isinstance(context, dict) and "httpMethod" in event:
        return Shape.REST_API
    return Shape.DIRECT


def request_id(event: Any, shape: Shape) -> str | None:
    """The caller-visible request ID, for correlating logs with what the caller saw."""
    if shape is Shape.DIRECT:
        return None
    found = event["requestContext"].get("requestId")
    return found if isinstance(found, str) and found else None


def parse(event: Any, shape: Shape) -> Invocation:
    return _parse_direct(event) if shape is Shape.DIRECT else _parse_http(event, shape)


def render(answer: Answer, shape: Shape) -> dict[str, Any]:
    return _render_direct(answer) if shape is Shape.DIRECT else _render_http(answer)


def _parse_http(event: dict[str, Any], shape: Shape) -> Invocation:
    headers = {name.lower(): value for name, value in _map(event, "headers").items()}
    query = _map(event, "queryStringParameters")
    if shape is Shape.REST_API:
        method = event["httpMethod"]
    else:
        method = _map(event["requestContext"], "http", "requestContext.http").get("method", "POST")
    if not isinstance(method, str):
        raise BadRequest(f"the HTTP method must be a string, got {type(method).__name__}")
    if method == "GET" and query.get("location"):
        return Invocation(
            Mode.RESULT,
            output_location=_location(query["location"], "query location"),
            failure_location=_location(query.get("failureLocation"), "query failureLocation"),
        )
    if method != "POST":
        raise BadRequest(
            f"{method[:16]!r} is not supported: POST a payload, or GET ?location=s3://..."
        )
    mode = Mode.ASYNC if "async" in (headers.get(MODE_HEADER), query.get("mode")) else Mode.REALTIME
    return Invocation(
        mode,
        body=_http_body(event),
        content_type=_option(headers, "content-type", "ContentType", "header content-type"),
        accept=_option(headers, "accept", "Accept", "header accept"),
        options=_options(headers, HEADER_OPTION_SOURCES),
    )


def _http_body(event: dict[str, Any]) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadRequest(f"body must be a string (base64 when binary), got {type(body).__name__}")
    if event.get("isBase64Encoded"):
        return _decode_base64(body, "body")
    return _utf8(body, "body")


def _parse_direct(event: Any) -> Invocation:
    """A direct invocation is either `{"body": ..., "contentType": ..., ...}` or, when it has
    none of those fields, a JSON document that is itself the payload."""
    if not (isinstance(event, dict) and ("body" in event or "bodyBase64" in event)):
        if isinstance(event, dict) and event.get("mode") == Mode.RESULT:
            return Invocation(
                Mode.RESULT,
                output_location=_location(event.get("outputLocation"), "outputLocation"),
                failure_location=_location(event.get("failureLocation"), "failureLocation"),
            )
        return Invocation(Mode.REALTIME, _json_bytes(event, "the event"), JSON)
    unknown = sorted(set(event) - DIRECT_FIELDS)
    if unknown:
        named = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise BadRequest(f"unknown field(s) {named}; known: {sorted(DIRECT_FIELDS)}")
    body, default_type = _direct_body(event)
    content_type = _option(event, "contentType", "ContentType", "field contentType")
    return Invocation(
        _direct_mode(event),
        body=body,
        content_type=content_type if "contentType" in event else default_type,
        accept=_option(event, "accept", "Accept", "field accept"),
        options=_options(event, DIRECT_OPTION_SOURCES),
    )


def _direct_mode(event: dict[str, Any]) -> Mode:
    mode = event.get("mode", Mode.REALTIME)
    if mode not in (Mode.REALTIME, Mode.ASYNC):
        shown = repr(mode)[:40] if isinstance(mode, str) else type(mode).__name__
        raise BadRequest(f"mode must be realtime or async, got {shown}")
    return Mode(mode)


def _direct_body(event: dict[str, Any]) -> tuple[bytes, str | None]:
    if "bodyBase64" in event:
        return _decode_base64(event["bodyBase64"], "bodyBase64"), None
    body = event["body"]
    if isinstance(body, str):
        return _utf8(body, "body"), "text/plain"
    return _json_bytes(body, "body"), JSON


def _map(container: dict[str, Any], name: str, path: str | None = None) -> dict[str, Any]:
    """A map-valued field; absent or null is empty, anything else but a map is the caller's
    error."""
    found = container.get(name)
    if found is None:
        return {}
    if not isinstance(found, dict):
        raise BadRequest(
            f"{path or name} must be a map of names to values, got {type(found).__name__}"
        )
    return found


def _option(fields: dict[str, Any], name: str, option: str, source: str) -> str | None:
    value = fields.get(name)
    return None if value is None or value == "" else header_value(option, value, source)


def _options(fields: dict[str, Any], names: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The pass-through options present in `fields` ({field: (option, source)}), checked."""
    found = {}
    for name, (option, source) in names.items():
        value = _option(fields, name, option, source)
        if value is not None:
            found[option] = value
    return found


def _location(value: Any, source: str) -> str | None:
    """An S3 location as the caller gave it; the gateway checks it names the invoker's own
    results."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{source} must be a string s3:// URI, got {type(value).__name__}")
    if len(value) > LOCATION_LIMIT or not value.isprintable() or not value.isascii():
        raise BadRequest(
            f"{source} must be an s3:// URI of at most {LOCATION_LIMIT} printable ASCII "
            "characters (no CR, LF or other control characters)"
        )
    return value


def _utf8(text: str, name: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError as error:
        raise BadRequest(
            f"{name} is not valid Unicode text: a lone surrogate at position {error.start}; "
            "send binary payloads as base64"
        ) from None


def _json_bytes(document: Any, name: str) -> bytes:
    try:
        return codec.dumps(document)
    except (TypeError, ValueError, RecursionError) as error:
        raise BadRequest(f"{name} cannot be sent as JSON: {str(error)[:120]}") from None


def _decode_base64(text: Any, name: str) -> bytes:
    if not isinstance(text, str):
        raise BadRequest(f"{name} must be a base64 string, got {type(text).__name__}")
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
    """JSON answers as documents, other text as text; bytes that are neither (binary, or a
    model's answer that claims JSON but does not parse) as base64, untouched."""
    rendered: dict[str, Any] = {"statusCode": answer.status, "contentType": answer.content_type}
    rendered.update({_camel(name): value for name, value in answer.headers.items()})
    if answer.body and answer.content_type.split(";")[0].strip().endswith("json"):
        try:
            rendered["body"] = codec.loads(answer.body)
            return rendered
        # A model's answer may be anything, JSON nested past Python's recursion limit too.
        except (ValueError, RecursionError):
            rendered["bodyBase64"] = base64.b64encode(answer.body).decode()
            return rendered
    text = _as_text(answer.content_type, answer.body)
    if text is None:
        rendered["bodyBase64"] = base64.b64encode(answer.body).decode()
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
