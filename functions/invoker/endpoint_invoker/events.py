"""Which front door an event came through, and the reading and answer that door expects. Pure.

Every shape AWS delivers to a Lambda function for a request: a direct invocation, a Lambda
Function URL, API Gateway HTTP API (payload 2.0) and REST API (payload 1.0) proxy integrations,
an Application Load Balancer target group (with multi-value headers off or on) and a VPC
Lattice target group (event structure version 1 or 2). How each is told apart:

- ALB: `requestContext.elb`; multi-value headers on when the event has `multiValueHeaders`
  (the load balancer then sends no `headers` and reads only `multiValueHeaders` back).
- VPC Lattice 2: `version` "2.0" with `method` at the top and a `requestContext` naming the
  service (`serviceArn`, `serviceNetworkArn`); API Gateway's 2.0 keeps the method under
  `requestContext.http`.
- Function URL and HTTP API: `version` "2.0"; a Function URL's domain is `*.lambda-url.*`.
- REST API (and HTTP API payload 1.0): `httpMethod` with a `requestContext`.
- VPC Lattice 1: `raw_path` and `method`, snake case, no `requestContext`.
- Anything else is a direct invocation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from endpoint_invoker import direct_events, http_events
from endpoint_invoker.direct_events import DIRECT_OPTIONS
from endpoint_invoker.http_events import Door
from endpoint_invoker.invocation import Answer, Invocation

__all__ = ["DIRECT_OPTIONS", "DOORS", "Shape", "parse", "render", "request_id", "shape_of"]


class Shape(StrEnum):
    DIRECT = "direct"
    FUNCTION_URL = "function-url"
    HTTP_API = "http-api"
    REST_API = "rest-api"
    ALB = "alb"
    ALB_MULTI_VALUE = "alb-multi-value"
    VPC_LATTICE_V1 = "vpc-lattice-v1"
    VPC_LATTICE_V2 = "vpc-lattice-v2"


_HTTP_V2 = Door(
    ("requestContext", "http", "method"), "headers", "queryStringParameters", "isBase64Encoded"
)
DOORS = {
    Shape.FUNCTION_URL: _HTTP_V2,
    Shape.HTTP_API: _HTTP_V2,
    Shape.REST_API: Door(("httpMethod",), "headers", "queryStringParameters", "isBase64Encoded"),
    Shape.ALB: Door(
        ("httpMethod",),
        "headers",
        "queryStringParameters",
        "isBase64Encoded",
        url_encoded_query=True,
        status_description=True,
    ),
    Shape.ALB_MULTI_VALUE: Door(
        ("httpMethod",),
        "multiValueHeaders",
        "multiValueQueryStringParameters",
        "isBase64Encoded",
        url_encoded_query=True,
        multi_value_answer=True,
        status_description=True,
    ),
    Shape.VPC_LATTICE_V1: Door(
        ("method",),
        "headers",
        "query_string_parameters",
        "is_base64_encoded",
        status_description=True,
    ),
    Shape.VPC_LATTICE_V2: Door(
        ("method",), "headers", "queryStringParameters", "isBase64Encoded", status_description=True
    ),
}
# Shapes whose events carry a request ID of the front door's in `requestContext.requestId`;
# the others are correlated by their X-Ray trace header, as Powertools' correlation paths do.
_WITH_REQUEST_ID = frozenset({Shape.FUNCTION_URL, Shape.HTTP_API, Shape.REST_API})
_LATTICE_SERVICE = ("serviceArn", "serviceNetworkArn")


def shape_of(event: Any) -> Shape:
    if not isinstance(event, dict):
        return Shape.DIRECT
    context = event.get("requestContext")
    if isinstance(context, dict):
        if "elb" in context:
            return Shape.ALB_MULTI_VALUE if "multiValueHeaders" in event else Shape.ALB
        if event.get("version") == "2.0":
            if "method" in event or any(key in context for key in _LATTICE_SERVICE):
                return Shape.VPC_LATTICE_V2
            domain = context.get("domainName")
            is_url = isinstance(domain, str) and ".lambda-url." in domain
            return Shape.FUNCTION_URL if is_url else Shape.HTTP_API
        if "httpMethod" in event:
            return Shape.REST_API
    elif "raw_path" in event and "method" in event:
        return Shape.VPC_LATTICE_V1
    return Shape.DIRECT


def request_id(event: Any, shape: Shape) -> str | None:
    """The caller-visible request ID, for correlating logs with what the caller saw: the front
    door's request ID, or the trace ID the load balancer or VPC Lattice passed on."""
    if shape is Shape.DIRECT:
        return None
    if shape in _WITH_REQUEST_ID:
        found = event["requestContext"].get("requestId")
        return found if isinstance(found, str) and found else None
    return http_events.header(event, DOORS[shape], "x-amzn-trace-id")


def parse(event: Any, shape: Shape) -> Invocation:
    if shape is Shape.DIRECT:
        return direct_events.parse(event)
    return http_events.parse(event, DOORS[shape])


def render(answer: Answer, shape: Shape) -> dict[str, Any]:
    if shape is Shape.DIRECT:
        return direct_events.render(answer)
    return http_events.render(answer, DOORS[shape])
