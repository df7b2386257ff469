"""Every front door AWS puts before a Lambda function, its events read as Powertools' own event
classes read them, and answered in the response format that door documents."""

from __future__ import annotations

import base64

import pytest
from aws_lambda_powertools.utilities.data_classes import (
    ALBEvent,
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
    LambdaFunctionUrlEvent,
    VPCLatticeEvent,
    VPCLatticeEventV2,
)

from endpoint_invoker import events
from endpoint_invoker.events import Shape
from endpoint_invoker.invocation import Answer, BadRequest, Mode
from tests.support.events import load_event

# Each event file with its shape and the event class Powertools reads that door's events with.
DOORS = [
    ("invoke-function-url.json", Shape.FUNCTION_URL, LambdaFunctionUrlEvent),
    ("invoke-http-api.json", Shape.HTTP_API, APIGatewayProxyEventV2),
    ("invoke-http-api-binary.json", Shape.HTTP_API, APIGatewayProxyEventV2),
    ("invoke-rest-api.json", Shape.REST_API, APIGatewayProxyEvent),
    ("invoke-alb.json", Shape.ALB, ALBEvent),
    ("invoke-alb-multi-value.json", Shape.ALB_MULTI_VALUE, ALBEvent),
    ("invoke-vpc-lattice-v1.json", Shape.VPC_LATTICE_V1, VPCLatticeEvent),
    ("invoke-vpc-lattice-v2.json", Shape.VPC_LATTICE_V2, VPCLatticeEventV2),
]
HTTP_ANSWER = {"statusCode", "headers", "body", "isBase64Encoded"}
# What each door reads back (AWS's response formats for each).
ANSWER_FIELDS = {
    Shape.FUNCTION_URL: HTTP_ANSWER,
    Shape.HTTP_API: HTTP_ANSWER,
    Shape.REST_API: HTTP_ANSWER,
    Shape.ALB: HTTP_ANSWER | {"statusDescription"},
    Shape.ALB_MULTI_VALUE: {"statusCode", "statusDescription", "multiValueHeaders", "body"}
    | {"isBase64Encoded"},
    Shape.VPC_LATTICE_V1: HTTP_ANSWER | {"statusDescription"},
    Shape.VPC_LATTICE_V2: HTTP_ANSWER | {"statusDescription"},
}


def powertools_header(event_class, event, name):
    """A header as Powertools' event class reads it (lists, as some doors give, joined)."""
    read = event_class(event)
    headers = read.multi_value_headers if event_class is ALBEvent else {}
    value = headers.get(name) or read.headers.get(name)
    return ",".join(value) if isinstance(value, list) else value


@pytest.mark.parametrize(("name", "shape", "event_class"), DOORS)
def test_each_door_is_recognised_and_read_as_powertools_reads_it(name, shape, event_class):
    # Given an event as the door delivers it
    event = load_event(name)

    # When the invoker recognises and reads it
    found = events.shape_of(event)
    invocation = events.parse(event, found)

    # Then it is that door's shape, and the method, body and content types are those that
    # Powertools' class for the door reads (the body's bytes, base64 or not)
    assert found is shape
    read = event_class(event)
    assert read.http_method == "POST"
    raw = read["body"]
    assert invocation.body == (base64.b64decode(raw) if read.is_base64_encoded else raw.encode())
    assert invocation.content_type == powertools_header(event_class, event, "Content-Type")
    assert invocation.accept == powertools_header(event_class, event, "Accept")
    assert invocation.mode is Mode.REALTIME


@pytest.mark.parametrize(("name", "shape", "_event_class"), DOORS)
def test_each_door_gets_its_own_response_format(name, shape, _event_class):
    # Given an answer carrying a header of the model's
    answer = Answer(
        200, b'{"p": 0.9}', "application/json", {"X-Amzn-SageMaker-New-Session-Id": "s"}
    )

    # When rendered for the door
    rendered = events.render(answer, shape)

    # Then it has exactly the fields that door reads back, the headers where it reads them
    assert set(rendered) == ANSWER_FIELDS[shape]
    if shape is Shape.ALB_MULTI_VALUE:
        assert rendered["multiValueHeaders"] == {
            "Content-Type": ["application/json"],
            "X-Amzn-SageMaker-New-Session-Id": ["s"],
        }
    else:
        assert rendered["headers"] == {
            "Content-Type": "application/json",
            "X-Amzn-SageMaker-New-Session-Id": "s",
        }
    if "statusDescription" in rendered:
        assert rendered["statusDescription"] == "200 OK"
    assert (rendered["body"], rendered["isBase64Encoded"]) == ('{"p": 0.9}', False)


@pytest.mark.parametrize(
    ("status", "line"),
    [(202, "202 Accepted"), (424, "424 Failed Dependency"), (503, "503 Service Unavailable")],
)
def test_the_load_balancer_shows_each_status_with_its_reason(status, line):
    # Given an answer of the status, When rendered for a load balancer with multi-value headers
    answer = Answer.error(status, "Kind", "message", retry_after=5 if status == 503 else None)
    rendered = events.render(answer, Shape.ALB_MULTI_VALUE)

    # Then its status line shows the reason, and Retry-After is among the multi-value headers
    assert rendered["statusDescription"] == line
    if status == 503:
        assert rendered["multiValueHeaders"]["Retry-After"] == ["5"]


def test_alb_multi_value_headers_reach_the_invocation_whatever_their_count():
    # Given an ALB event with multi-value headers on: a header repeated, and one given once
    event = load_event("invoke-alb-multi-value.json")
    event["multiValueHeaders"]["x-amzn-sagemaker-custom-attributes"] = ["a=1", "b=2"]

    # When read
    invocation = events.parse(event, Shape.ALB_MULTI_VALUE)

    # Then a repeated header is joined with commas, as HTTP joins repeated fields
    assert invocation.options == {"TargetVariant": "AllTraffic", "CustomAttributes": "a=1,b=2"}
    assert invocation.body == base64.b64decode(event["body"])


def test_alb_query_parameters_are_url_decoded_as_the_load_balancer_leaves_them_encoded():
    # Given a GET for an async result through an ALB, the location URL-encoded as clients send
    event = load_event("invoke-alb-multi-value.json")
    location = "s3://payloads/async-output/9f1c.out"
    event.update(httpMethod="GET", body="", isBase64Encoded=False)
    event["multiValueQueryStringParameters"] = {
        "location": ["s3%3A%2F%2Fpayloads%2Fasync-output%2F9f1c.out"]
    }

    # When read
    invocation = events.parse(event, Shape.ALB_MULTI_VALUE)

    # Then the location is the decoded URI, as Powertools' ALBEvent decodes it
    powertools = ALBEvent(event)
    powertools.decode_query_parameters = True
    assert powertools.resolved_query_string_parameters["location"] == [location]
    assert (invocation.mode, invocation.output_location) == (Mode.RESULT, location)


def test_a_lattice_2_event_reads_header_lists_and_query_lists():
    # Given a VPC Lattice event of structure version 2: every header and query value a list
    event = load_event("invoke-vpc-lattice-v2.json")
    event["queryStringParameters"] = {"mode": ["async"]}

    # When read
    invocation = events.parse(event, Shape.VPC_LATTICE_V2)

    # Then the lists are values (previously: "header content-type must be a string, got list")
    assert invocation.mode is Mode.ASYNC
    assert invocation.content_type == "application/json"
    assert invocation.options == {"InferenceId": "req-0002"}
    assert VPCLatticeEventV2(event).query_string_parameters == {"mode": "async"}


def test_a_lattice_2_event_with_string_headers_reads_the_same():
    # Given a Lattice 2 event whose header values are strings, as Powertools' own test event has
    event = load_event("invoke-vpc-lattice-v2.json")
    event["headers"] = {name: ",".join(values) for name, values in event["headers"].items()}

    # Then it reads as the list form does
    assert events.parse(event, Shape.VPC_LATTICE_V2) == events.parse(
        load_event("invoke-vpc-lattice-v2.json"), Shape.VPC_LATTICE_V2
    )


def test_a_lattice_1_event_is_not_mistaken_for_a_direct_invocation():
    # Given a VPC Lattice event of structure version 1 (snake case, no requestContext)
    event = load_event("invoke-vpc-lattice-v1.json")

    # When read (previously: "unknown field(s) 'headers', 'is_base64_encoded', 'method', ...")
    invocation = events.parse(event, events.shape_of(event))

    # Then its body, content type and pass-through header are the request's
    assert invocation.body == b"0.3,12,1,0\n0.7,3,0,1\n"
    assert (invocation.content_type, invocation.accept) == ("text/csv", "text/csv")
    assert invocation.options == {"TargetVariant": "AllTraffic"}


def test_a_lattice_1_base64_body_with_a_joined_header_reads_as_powertools_does():
    # Given a Lattice 1 GET-less POST with a base64 body and a header that repeated (Lattice 1
    # joins repeated values with commas, as Powertools' own test event shows)
    event = load_event("invoke-vpc-lattice-v1.json")
    event.update(body=base64.b64encode(b'{"test": "event"}').decode(), is_base64_encoded=True)
    event["headers"]["x-amzn-sagemaker-custom-attributes"] = "value1,value2"

    # When read, Then the body is decoded and the header passes as it came
    invocation = events.parse(event, Shape.VPC_LATTICE_V1)
    assert invocation.body == b'{"test": "event"}'
    assert invocation.options["CustomAttributes"] == "value1,value2"
    assert VPCLatticeEvent(event).decoded_body == '{"test": "event"}'


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("invoke-rest-api.json", Shape.REST_API),
        ("invoke-alb.json", Shape.ALB),
        ("invoke-vpc-lattice-v1.json", Shape.VPC_LATTICE_V1),
    ],
)
def test_header_names_are_read_whatever_their_case(name, shape):
    # Given a door's event with its headers' names in any case
    event = load_event(name)
    headers = event["headers"]
    event["headers"] = {key.upper(): value for key, value in headers.items()}

    # Then it reads as with the names the door sent
    assert events.parse(event, shape) == events.parse(load_event(name), shape)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invoke-function-url.json", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
        ("invoke-rest-api.json", "7f3b2c1d-0e9a-4b8c-9d7e-6f5a4b3c2d1e"),
        ("invoke-alb.json", "Root=1-6747b7c8-0f1e2d3c4b5a69788796a5b4"),
        ("invoke-alb-multi-value.json", "Root=1-6747b7c8-1a2b3c4d5e6f708192a3b4c5"),
        ("invoke-vpc-lattice-v1.json", "Root=1-6747b7c8-2b3c4d5e6f708192a3b4c5d6"),
        ("invoke-vpc-lattice-v2.json", "Root=1-6747b7c8-3c4d5e6f708192a3b4c5d6e7"),
        ("invoke-direct.json", None),
    ],
)
def test_logs_are_correlated_with_what_the_door_knows_the_request_by(name, expected):
    # Given a door's event: API Gateway and Function URLs give a request ID, the load balancer
    # and VPC Lattice a trace header (Powertools' correlation paths read the same)
    event = load_event(name)

    # Then that is the request's correlation ID (None: Lambda's request ID is used)
    assert events.request_id(event, events.shape_of(event)) == expected


@pytest.mark.parametrize(
    ("name", "changes", "message"),
    [
        ("invoke-alb.json", {"headers": {"accept": ["a", 1]}}, "header accept must be a string"),
        ("invoke-vpc-lattice-v2.json", {"method": ["POST"]}, "HTTP method must be a string"),
        ("invoke-vpc-lattice-v1.json", {"body": {"x": 1}}, "body must be a string"),
        (
            "invoke-alb-multi-value.json",
            {"multiValueHeaders": "a"},
            "multiValueHeaders must be a map",
        ),
        ("invoke-vpc-lattice-v1.json", {"method": "DELETE"}, "'DELETE' is not supported"),
    ],
)
def test_malformed_door_events_say_what_is_wrong(name, changes, message):
    # Given a door's event with one field of the wrong type or value
    event = load_event(name)
    event.update(changes)

    # Then reading it says which and why
    with pytest.raises(BadRequest, match=message):
        events.parse(event, events.shape_of(event))


def test_an_api_gateway_payload_2_event_is_not_taken_for_lattice():
    # Given the HTTP API's 2.0 event: it has a version but keeps its method under requestContext
    event = load_event("invoke-http-api.json")
    assert events.shape_of(event) is Shape.HTTP_API

    # When a Lattice 2 event without a service network (a service shared on its own)
    lattice = load_event("invoke-vpc-lattice-v2.json")
    del lattice["requestContext"]["serviceNetworkArn"]

    # Then it is still Lattice: the method at the top says so
    assert events.shape_of(lattice) is Shape.VPC_LATTICE_V2
