"""Inference components and stateful sessions through every door; "no capacity" is worth a
retry; a streamed answer is refused clearly; InvokeEndpointAsync is never asked for what it
cannot take."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from endpoint_invoker.invocation import Invocation, Mode
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import InvokerSettings, MisconfiguredInvoker
from tests.fuzz.echo import (
    CLOSE_SESSION,
    NO_CAPACITY,
    SESSION_EXPIRES,
    EchoAws,
    echo_invoker,
    invoke,
)
from tests.support.events import load_event

COMPONENT = "churn-ic-v2"


@pytest.fixture
def aws():
    return EchoAws()


def message_of(response):
    body = response["body"]
    return (body if isinstance(body, dict) else json.loads(body))["message"]


def headers_of(response):
    if "multiValueHeaders" in response:
        return {name: value for name, (value,) in response["multiValueHeaders"].items()}
    return response.get("headers", {})


def test_the_default_component_is_invoked_unless_the_request_names_another(aws):
    # Given an invoker bound to a default inference component
    app = echo_invoker(aws, inference_component=COMPONENT)

    # When one request names none and another names its own, by header and by field
    invoke(app, load_event("invoke-function-url.json"))
    named = load_event("invoke-alb.json")
    named["headers"]["x-amzn-sagemaker-inference-component"] = "churn-ic-canary"
    invoke(app, named)
    invoke(app, {"body": {"x": 1}, "inferenceComponentName": "churn-ic-shadow"})

    # Then the first goes to the default, the others where they asked
    components = [call.get("InferenceComponentName") for call in aws.runtime_calls]
    assert components == [COMPONENT, "churn-ic-canary", "churn-ic-shadow"]


@pytest.mark.parametrize(
    "event_file",
    [
        "invoke-function-url.json",
        "invoke-rest-api.json",
        "invoke-alb-multi-value.json",
        "invoke-vpc-lattice-v1.json",
        "invoke-vpc-lattice-v2.json",
    ],
)
def test_a_session_opens_and_closes_through_headers_on_every_http_door(aws, event_file):
    # Given an HTTP request asking for a new session
    app = echo_invoker(aws, inference_component=COMPONENT)
    opening = load_event(event_file)
    headers = opening.get("headers") or opening["multiValueHeaders"]
    value = ["NEW_SESSION"] if event_file.endswith("multi-value.json") else "NEW_SESSION"
    headers["x-amzn-sagemaker-session-id"] = value

    # When sent, Then SageMaker got the SessionId and the answer names the new session
    opened = invoke(app, opening)
    assert opened["statusCode"] == 200, opened
    assert aws.runtime_calls[-1]["SessionId"] == "NEW_SESSION"
    new_session = headers_of(opened)["X-Amzn-SageMaker-New-Session-Id"]
    assert new_session.endswith(SESSION_EXPIRES)

    # When the model is asked to close that session
    session = new_session.split(";")[0]
    closing = load_event("invoke-function-url.json")
    closing["headers"]["x-amzn-sagemaker-session-id"] = session
    closing["body"] = CLOSE_SESSION.decode()
    closed = invoke(app, closing)

    # Then the answer names the closed session
    assert headers_of(closed)["X-Amzn-SageMaker-Closed-Session-Id"] == session


def test_a_direct_session_is_in_camel_case_fields_both_ways(aws):
    # Given a direct invocation that opens a session
    app = echo_invoker(aws)
    opened = invoke(app, {"body": {"x": 1}, "sessionId": "NEW_SESSION"})

    # When the model is asked to close it
    session = opened["newSessionId"].split(";")[0]
    closing = {"body": CLOSE_SESSION.decode(), "contentType": "application/json"}
    closed = invoke(app, {**closing, "sessionId": session})

    # Then the answers name the session opened and closed, in the direct fields' case
    assert closed["closedSessionId"] == session
    assert [call["SessionId"] for call in aws.runtime_calls] == ["NEW_SESSION", session]


@pytest.mark.parametrize("value", ["NEW_SESSION ", "new_session", "a_b", "x" * 257, "-abc"])
def test_a_session_id_sagemaker_would_refuse_is_a_400_before_any_call(aws, value):
    # When a session ID outside botocore's model of InvokeEndpoint is sent
    response = invoke(echo_invoker(aws), {"body": {"x": 1}, "sessionId": value})

    # Then the caller hears which field is wrong, and SageMaker was not called
    assert response["statusCode"] == 400, response
    assert "field sessionId must be" in message_of(response)
    assert not aws.runtime_calls


@pytest.mark.parametrize(
    "event_file", ["invoke-direct.json", "invoke-function-url.json", "invoke-alb-multi-value.json"]
)
def test_a_component_with_no_capacity_answers_503_with_retry_after(event_file):
    # Given a component scaled to zero (SageMaker answers ValidationError, HTTP 400)
    aws = EchoAws(zero_copies=frozenset({COMPONENT}))
    app = echo_invoker(aws, inference_component=COMPONENT)

    # When invoked
    response = invoke(app, load_event(event_file))

    # Then the caller is told to retry later, with SageMaker's own reason
    assert response["statusCode"] == 503, response
    retry_after = response.get("retryAfter") or headers_of(response)["Retry-After"]
    assert int(retry_after) >= 30
    assert message_of(response) == NO_CAPACITY
    body = response["body"] if isinstance(response["body"], dict) else json.loads(response["body"])
    assert body["error"] == "NoCapacity"


@pytest.mark.parametrize(
    ("settings", "event", "message"),
    [
        ({"inference_component": COMPONENT}, {"body": {"x": 1}, "mode": "async"}, COMPONENT),
        ({}, {"body": {"x": 1}, "mode": "async", "sessionId": "NEW_SESSION"}, "SessionId"),
        (
            {},
            {"body": {"x": 1}, "mode": "async", "inferenceComponentName": COMPONENT},
            "InferenceComponentName",
        ),
    ],
)
def test_async_mode_refuses_components_and_sessions_before_writing_anything(
    aws, settings, event, message
):
    # When a request goes async with what InvokeEndpointAsync has no parameter for
    response = invoke(echo_invoker(aws, **settings), event)

    # Then it is the caller's 400, and nothing was written or invoked
    assert response["statusCode"] == 400, response
    assert message in message_of(response)
    assert "async" in message_of(response)
    assert not aws.objects and not aws.runtime_calls


def url_event(headers=None, query=None):
    event = load_event("invoke-function-url.json")
    event["headers"].update(headers or {})
    event["queryStringParameters"] = query
    return event


@pytest.mark.parametrize(
    "event",
    [
        url_event(headers={"accept": "text/event-stream"}),
        url_event(headers={"x-invocation-mode": "stream"}),
        url_event(query={"stream": "true"}),
        url_event(query={"mode": "stream"}),
        {"body": {"inputs": "hi"}, "accept": "text/event-stream"},
        {"body": {"inputs": "hi"}, "stream": True},
        {"body": {"inputs": "hi"}, "mode": "stream"},
    ],
    ids=[
        "accept",
        "mode-header",
        "stream-query",
        "mode-query",
        "direct-accept",
        "direct-stream",
        "direct-mode",
    ],
)
def test_a_request_for_a_streamed_answer_is_refused_clearly(aws, event):
    # When a caller asks for the answer as a stream, as a user would try
    response = invoke(echo_invoker(aws), event)

    # Then it is a 400 that says why and what to do instead, and SageMaker was not called
    assert response["statusCode"] == 400, response
    body = response["body"] if isinstance(response["body"], dict) else json.loads(response["body"])
    assert body["error"] == "StreamingNotSupported"
    assert "InvokeEndpointWithResponseStream" in body["message"]
    assert "Node.js" in body["message"]
    assert not aws.runtime_calls


@pytest.mark.parametrize("flag", [False, None, "false"])
def test_a_stream_flag_that_asks_for_nothing_is_no_stream(aws, flag):
    # When the stream flag is there but off, Then the request is answered whole
    response = invoke(echo_invoker(aws), {"body": {"x": 1}, "stream": flag})
    assert response["statusCode"] == 200, response


def test_the_gateway_sends_component_and_session_as_botocore_models_them():
    # Given a SageMaker Runtime client whose every call botocore's Stubber checks
    client = boto3.client(
        "sagemaker-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    gateway = RuntimeGateway(client, lambda: None, InvokerSettings("churn"))  # type: ignore[arg-type]
    expires = f"session-7; {SESSION_EXPIRES}"
    with Stubber(client) as stub:
        stub.add_response(
            "invoke_endpoint",
            {
                "Body": StreamingBody(io.BytesIO(b"{}"), 2),
                "ContentType": "application/json",
                "InvokedProductionVariant": "AllTraffic",
                "NewSessionId": expires,
            },
            expected_params={
                "EndpointName": "churn",
                "Body": b"{}",
                "ContentType": "application/json",
                "InferenceComponentName": COMPONENT,
                "SessionId": "NEW_SESSION",
            },
        )

        # When an invocation names a component and opens a session
        answer = gateway.invoke(
            Invocation(
                Mode.REALTIME,
                b"{}",
                "application/json",
                options={"InferenceComponentName": COMPONENT, "SessionId": "NEW_SESSION"},
            )
        )

    # Then the answer carries the new session under SageMaker's header name
    assert answer.headers == {
        "X-Amzn-Invoked-Production-Variant": "AllTraffic",
        "X-Amzn-SageMaker-New-Session-Id": expires,
    }


@pytest.mark.parametrize("component", ["churn_ic", "-churn", "churn-", "c" * 64])
def test_a_malformed_default_component_is_named_in_the_configuration_error(component):
    # Given a default component SageMaker would not take as a name, Then the settings refuse it
    environment = {
        "SAGEMAKER_ENDPOINT_NAME": "churn",
        "SAGEMAKER_INFERENCE_COMPONENT_NAME": component,
    }
    with pytest.raises(
        MisconfiguredInvoker, match=r"SAGEMAKER_INFERENCE_COMPONENT_NAME=.* is invalid"
    ):
        InvokerSettings.from_environment(environment)
