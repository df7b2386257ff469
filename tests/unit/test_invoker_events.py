"""Every event shape is read into one invocation and answered in its own shape."""

from __future__ import annotations

import base64
import json

import pytest

from endpoint_invoker import events
from endpoint_invoker.events import Shape
from endpoint_invoker.invocation import Answer, BadRequest, Mode
from tests.support.events import load_event


@pytest.mark.parametrize(
    ("name", "shape"),
    [
        ("invoke-direct.json", Shape.DIRECT),
        ("invoke-function-url.json", Shape.FUNCTION_URL),
        ("invoke-http-api.json", Shape.HTTP_API),
        ("invoke-rest-api.json", Shape.REST_API),
    ],
)
def test_each_event_shape_is_recognised(name, shape):
    assert events.shape_of(load_event(name)) is shape


def test_a_function_url_request_passes_content_types_and_sagemaker_headers():
    # Given a Function URL request with a JSON body and custom attributes
    event = load_event("invoke-function-url.json")

    # When read
    invocation = events.parse(event, Shape.FUNCTION_URL)

    # Then the body is untouched and the SageMaker fields pass through
    assert invocation.mode is Mode.REALTIME
    assert invocation.body == event["body"].encode()
    assert (invocation.content_type, invocation.accept) == ("application/json", "application/json")
    assert invocation.options == {"CustomAttributes": "trace=demo-42"}


def test_a_rest_api_request_reads_headers_whatever_their_case():
    invocation = events.parse(load_event("invoke-rest-api.json"), Shape.REST_API)
    assert invocation.options == {"InferenceId": "req-0001"}
    assert invocation.content_type == "application/json"


def test_a_binary_body_is_decoded_from_base64_once():
    # Given an HTTP API request carrying a PNG
    event = load_event("invoke-http-api-binary.json")

    # When read, Then the bytes are exactly the image's
    invocation = events.parse(event, Shape.HTTP_API)
    assert invocation.body == base64.b64decode(event["body"])
    assert invocation.content_type == "image/png"


def test_async_mode_comes_from_a_header_or_the_query():
    event = load_event("invoke-async-function-url.json")
    assert events.parse(event, Shape.FUNCTION_URL).mode is Mode.ASYNC
    del event["headers"]["x-invocation-mode"]
    assert events.parse(event, Shape.FUNCTION_URL).mode is Mode.ASYNC


def test_a_result_is_fetched_with_get_and_its_location():
    event = load_event("invoke-function-url.json")
    event["requestContext"]["http"]["method"] = "GET"
    event["queryStringParameters"] = {"location": "s3://b/async-output/x.out"}
    invocation = events.parse(event, Shape.FUNCTION_URL)
    assert (invocation.mode, invocation.output_location) == (
        Mode.RESULT,
        "s3://b/async-output/x.out",
    )


def test_other_methods_are_refused():
    event = load_event("invoke-rest-api.json")
    event["httpMethod"] = "DELETE"
    with pytest.raises(BadRequest, match="'DELETE' is not supported"):
        events.parse(event, Shape.REST_API)


def test_a_direct_invocation_carries_a_json_body_and_options():
    invocation = events.parse(load_event("invoke-direct.json"), Shape.DIRECT)
    assert json.loads(invocation.body) == {"instances": [[0.3, 12, 1, 0]]}
    assert invocation.content_type == "application/json"
    assert invocation.options == {
        "TargetVariant": "AllTraffic",
        "CustomAttributes": "trace=demo-42",
    }


def test_any_other_json_document_is_itself_the_payload():
    invocation = events.parse({"instances": [[1, 2]]}, Shape.DIRECT)
    assert json.loads(invocation.body) == {"instances": [[1, 2]]}
    assert invocation.content_type == "application/json"


def test_direct_text_and_binary_bodies():
    text = events.parse({"body": "0.3,12\n", "contentType": "text/csv"}, Shape.DIRECT)
    assert (text.body, text.content_type) == (b"0.3,12\n", "text/csv")
    binary = events.parse({"bodyBase64": base64.b64encode(b"\x00\xff").decode()}, Shape.DIRECT)
    assert binary.body == b"\x00\xff"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"body": "x", "targetVarient": "A"}, "unknown field"),
        ({"bodyBase64": "not base64!"}, "not valid base64"),
        ({"body": "x", "mode": "batch"}, "mode must be realtime or async"),
    ],
)
def test_malformed_direct_invocations_say_what_is_wrong(event, message):
    with pytest.raises(BadRequest, match=message):
        events.parse(event, Shape.DIRECT)


def test_http_answers_are_text_when_textual_and_base64_otherwise():
    # Given a JSON answer and a binary one
    text = events.render(Answer(200, b'{"p": 0.9}', "application/json"), Shape.HTTP_API)
    binary = events.render(Answer(200, b"\x89PNG\x00", "image/png"), Shape.FUNCTION_URL)

    # Then each uses the proxy response format Lambda expects
    assert text == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": '{"p": 0.9}',
        "isBase64Encoded": False,
    }
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\x89PNG\x00"


def test_errors_keep_their_retry_after_header():
    answer = Answer.error(503, "ThrottlingException", "slow down", retry_after=1)
    rendered = events.render(answer, Shape.REST_API)
    assert rendered["statusCode"] == 503
    assert rendered["headers"]["Retry-After"] == "1"
    assert json.loads(rendered["body"]) == {"error": "ThrottlingException", "message": "slow down"}


def test_direct_answers_parse_json_and_name_headers_in_camel_case():
    answer = Answer(
        200, b'{"p": 0.9}', "application/json", {"X-Amzn-Invoked-Production-Variant": "A"}
    )
    assert events.render(answer, Shape.DIRECT) == {
        "statusCode": 200,
        "contentType": "application/json",
        "invokedProductionVariant": "A",
        "body": {"p": 0.9},
    }
    binary = events.render(Answer(200, b"\x00", "application/octet-stream"), Shape.DIRECT)
    assert binary["bodyBase64"] == "AA=="
