"""HTTP front doors: every event AWS delivers to a Lambda function for an HTTP request, read into
one invocation and answered as its source expects. Pure.

Each door keeps the same parts of a request in its own places (DOORS, in events.py): the method,
maps of headers and query parameters whose values are strings (or lists of strings, when the
door keeps every value of a repeated name), the body and its base64 flag. Header names are read
whatever their case. The Application Load Balancer passes query parameters as the client sent
them, URL-encoded (its documentation: "you must decode them in your Lambda function").

What each door wants back (its documentation's response format):

- Function URL, API Gateway HTTP API and REST API: statusCode, headers, body, isBase64Encoded.
- Application Load Balancer: the same and a statusDescription ("200 OK"); with multi-value
  headers on, it reads the answer's headers from multiValueHeaders only.
- VPC Lattice (both event versions): statusCode, statusDescription, headers, body,
  isBase64Encoded.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from endpoint_invoker import fields
from endpoint_invoker.invocation import PASS_THROUGH_HEADERS, Answer, BadRequest, Invocation, Mode

MODE_HEADER = "x-invocation-mode"
# {header: (option, how the caller named it)}, for the checks' messages.
HEADER_OPTION_SOURCES = {
    name: (option, f"header {name}") for name, option in PASS_THROUGH_HEADERS.items()
}


@dataclass(frozen=True)
class Door:
    """Where one front door's event keeps each part of a request, and how it wants the answer."""

    method: tuple[str, ...]
    headers: str
    query: str
    base64_flag: str
    url_encoded_query: bool = False
    multi_value_answer: bool = False
    status_description: bool = False


def parse(event: dict[str, Any], door: Door) -> Invocation:
    headers = fields.one_value_each(fields.map_field(event, door.headers), lower=True)
    query = fields.one_value_each(fields.map_field(event, door.query))
    if door.url_encoded_query:
        query = {unquote(name): _unquoted(value) for name, value in query.items()}
    method = _method(event, door)
    if method == "GET" and query.get("location"):
        return Invocation(
            Mode.RESULT,
            output_location=fields.location(query["location"], "query location"),
            failure_location=fields.location(query.get("failureLocation"), "query failureLocation"),
        )
    if method != "POST":
        raise BadRequest(
            f"{method[:16]!r} is not supported: POST a payload, or GET ?location=s3://..."
        )
    accept = fields.option(headers, "accept", "Accept", "header accept")
    modes = (headers.get(MODE_HEADER), query.get("mode"))
    stream_mode = "stream" if "stream" in modes else None
    fields.refuse_streaming(accept, stream_mode, query.get("stream"), where="query or header")
    return Invocation(
        Mode.ASYNC if "async" in modes else Mode.REALTIME,
        body=_body(event, door),
        content_type=fields.option(headers, "content-type", "ContentType", "header content-type"),
        accept=accept,
        options=fields.options(headers, HEADER_OPTION_SOURCES),
    )


def render(answer: Answer, door: Door) -> dict[str, Any]:
    headers = {"Content-Type": answer.content_type, **answer.headers}
    text = fields.as_text(answer.content_type, answer.body)
    rendered: dict[str, Any] = {"statusCode": answer.status}
    if door.status_description:
        rendered["statusDescription"] = status_line(answer.status)
    if door.multi_value_answer:
        rendered["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    else:
        rendered["headers"] = headers
    rendered["body"] = text if text is not None else base64.b64encode(answer.body).decode()
    rendered["isBase64Encoded"] = text is None
    return rendered


def header(event: dict[str, Any], door: Door, name: str) -> str | None:
    """One header's value (`name` in lower case), or None when absent or not text."""
    found = event.get(door.headers)
    if not isinstance(found, dict):
        return None
    value = fields.one_value(found.get(name))
    return value if isinstance(value, str) and value else None


def status_line(status: int) -> str:
    """The status line's text the load balancer and VPC Lattice send on: "200 OK"."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _method(event: dict[str, Any], door: Door) -> str:
    found: Any = event
    for depth, part in enumerate(door.method[:-1]):
        found = fields.map_field(found, part, ".".join(door.method[: depth + 1]))
    method = found.get(door.method[-1], "POST")
    if not isinstance(method, str):
        raise BadRequest(f"the HTTP method must be a string, got {type(method).__name__}")
    return method


def _body(event: dict[str, Any], door: Door) -> bytes:
    body = event.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise BadRequest(f"body must be a string (base64 when binary), got {type(body).__name__}")
    if event.get(door.base64_flag):
        return fields.decode_base64(body, "body")
    return fields.utf8(body, "body")


def _unquoted(value: Any) -> Any:
    return unquote(value) if isinstance(value, str) else value
