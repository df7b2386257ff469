"""Direct invocations (`aws lambda invoke`, an SDK's Invoke): a JSON document in, a JSON
document out. Pure.

The document is either `{"body": ..., "contentType": ..., ...}` or, when it has neither `body`
nor `bodyBase64`, itself the JSON payload (its fields are then the model's, never read here).
Fields are camelCase, as the answer's are.
"""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from endpoint_invoker import codec, fields
from endpoint_invoker.invocation import JSON, Answer, BadRequest, Invocation, Mode

# Direct invocations name the pass-through fields in camel case.
DIRECT_OPTIONS = {
    "targetVariant": "TargetVariant",
    "targetModel": "TargetModel",
    "targetContainerHostname": "TargetContainerHostname",
    "inferenceId": "InferenceId",
    "customAttributes": "CustomAttributes",
    "inferenceComponentName": "InferenceComponentName",
    "sessionId": "SessionId",
}
# {field: (option, how the caller named it)}, for the checks' messages.
DIRECT_OPTION_SOURCES = {name: (option, f"field {name}") for name, option in DIRECT_OPTIONS.items()}
_MODES = {"realtime": Mode.REALTIME, "async": Mode.ASYNC}
DIRECT_FIELDS = {
    "body", "bodyBase64", "contentType", "accept", "mode", "stream", "outputLocation",
    "failureLocation", *DIRECT_OPTIONS,
}  # fmt: skip


def parse(event: Any) -> Invocation:
    if not (isinstance(event, dict) and ("body" in event or "bodyBase64" in event)):
        if isinstance(event, dict) and event.get("mode") == Mode.RESULT:
            return Invocation(
                Mode.RESULT,
                output_location=fields.location(event.get("outputLocation"), "outputLocation"),
                failure_location=fields.location(event.get("failureLocation"), "failureLocation"),
            )
        return Invocation(Mode.REALTIME, fields.json_bytes(event, "the event"), JSON)
    if not DIRECT_FIELDS.issuperset(event):
        unknown = sorted(set(event) - DIRECT_FIELDS)
        named = ", ".join(repr(name[:40]) for name in unknown[:5])
        raise BadRequest(f"unknown field(s) {named}; known: {sorted(DIRECT_FIELDS)}")
    accept = fields.option(event, "accept", "Accept", "field accept")
    fields.refuse_streaming(accept, event.get("mode"), event.get("stream"), where="field")
    body, default_type = _body(event)
    content_type = fields.option(event, "contentType", "ContentType", "field contentType")
    return Invocation(
        _mode(event),
        body=body,
        content_type=content_type if "contentType" in event else default_type,
        accept=accept,
        options=fields.options(event, DIRECT_OPTION_SOURCES),
    )


def render(answer: Answer) -> dict[str, Any]:
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
    text = fields.as_text(answer.content_type, answer.body)
    if text is None:
        rendered["bodyBase64"] = base64.b64encode(answer.body).decode()
    else:
        rendered["body"] = text
    return rendered


def _mode(event: dict[str, Any]) -> Mode:
    mode = event.get("mode", "realtime")
    found = _MODES.get(mode) if isinstance(mode, str) else None
    if found is None:
        shown = repr(mode)[:40] if isinstance(mode, str) else type(mode).__name__
        raise BadRequest(f"mode must be realtime or async, got {shown}")
    return found


def _body(event: dict[str, Any]) -> tuple[bytes, str | None]:
    if "bodyBase64" in event:
        return fields.decode_base64(event["bodyBase64"], "bodyBase64"), None
    body = event["body"]
    if isinstance(body, str):
        return fields.utf8(body, "body"), "text/plain"
    return fields.json_bytes(body, "body"), JSON


@cache
def _camel(header: str) -> str:
    """`X-Amzn-Invoked-Production-Variant` -> `invokedProductionVariant` for direct answers."""
    words = header.removeprefix("X-Amzn-SageMaker-").removeprefix("X-Amzn-").split("-")
    return words[0].lower() + "".join(word.capitalize() for word in words[1:])
