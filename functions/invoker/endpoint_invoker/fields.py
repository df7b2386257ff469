"""The fields every event shape carries, read and checked the same way. Pure.

An event is whatever JSON a caller managed to send: every field is checked for its type before
use, and anything unusable is a BadRequest that says which field and why, never echoing a
hostile value.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from endpoint_invoker import codec
from endpoint_invoker.invocation import BadRequest, StreamingNotSupported, header_value

# Content types whose bodies are text (checked anywhere in the type: "application/ld+json").
TEXT_TYPE = re.compile(r"text/|application/(json|xml|csv)|\+json|\+xml")
# An S3 location is a URI: 1024 characters of key and 63 of bucket fit with room to spare.
LOCATION_LIMIT = 1200
EVENT_STREAM = "text/event-stream"
# A stream flag that asks for nothing: absent, false, or what a query string writes for it.
NO_STREAM = (None, False, "", "false", "False", "0")


def map_field(container: dict[str, Any], name: str, path: str | None = None) -> dict[str, Any]:
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


def one_value(value: Any) -> Any:
    """A header or query value as one string: front doors that keep every value of a repeated
    name (ALB with multi-value headers, VPC Lattice 2) give a list, joined here with commas as
    HTTP joins repeated fields and the 2.0 payloads join them themselves. Anything else is
    returned as it is, for the check that reads it to refuse (a direct invocation's fields are
    never read through this: a list there is the caller's mistake)."""
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    return value


def one_value_each(found: dict[str, Any], lower: bool = False) -> dict[str, Any]:
    """Every value of a header or query map as one_value gives it (names in lower case)."""
    return {
        (name.lower() if lower else name): value if type(value) is str else one_value(value)
        for name, value in found.items()
    }


def option(fields: dict[str, Any], name: str, option: str, source: str) -> str | None:
    value = fields.get(name)
    return None if value is None or value == "" else header_value(option, value, source)


def options(fields: dict[str, Any], names: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The pass-through options present in `fields` ({field: (option, source)}), checked."""
    found = {}
    for name, (option_name, source) in names.items():
        if name in fields:
            value = option(fields, name, option_name, source)
            if value is not None:
                found[option_name] = value
    return found


def location(value: Any, source: str) -> str | None:
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


def refuse_streaming(accept: str | None, mode: Any, stream: Any, *, where: str) -> None:
    """What a caller would try to get a streamed answer, each refused with the same clear
    StreamingNotSupported: an event-stream Accept type, mode "stream", or a stream flag."""
    if accept and EVENT_STREAM in accept.lower():
        raise StreamingNotSupported(f"Accept: {EVENT_STREAM}")
    if mode == "stream":
        raise StreamingNotSupported(f"mode stream ({where})")
    if stream not in NO_STREAM:
        raise StreamingNotSupported(f"stream ({where})")


def utf8(text: str, name: str) -> bytes:
    try:
        return text.encode()
    except UnicodeEncodeError as error:
        raise BadRequest(
            f"{name} is not valid Unicode text: a lone surrogate at position {error.start}; "
            "send binary payloads as base64"
        ) from None


def json_bytes(document: Any, name: str) -> bytes:
    try:
        return codec.dumps(document)
    except (TypeError, ValueError, RecursionError) as error:
        raise BadRequest(f"{name} cannot be sent as JSON: {str(error)[:120]}") from None


def decode_base64(text: Any, name: str) -> bytes:
    if not isinstance(text, str):
        raise BadRequest(f"{name} must be a base64 string, got {type(text).__name__}")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{name} is not valid base64") from None


def as_text(content_type: str, body: bytes) -> str | None:
    """The body as text when its type is textual and it decodes; None means send base64."""
    if not TEXT_TYPE.search(content_type):
        return None
    try:
        return body.decode()
    except UnicodeDecodeError:
        return None
