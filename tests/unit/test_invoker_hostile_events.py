"""Hostile and odd events get a clear 4xx (or a 5xx naming the misconfiguration), never a stack
trace; a model's bytes pass through untouched whatever their content type claims."""

from __future__ import annotations

import base64
import json

import botocore.session
import pytest

from endpoint_invoker.invocation import HEADER_VALUES
from endpoint_invoker.settings import InvokerSettings, MisconfiguredInvoker
from tests.fuzz.echo import EchoAws, echo_invoker, invoke
from tests.support.events import load_event


@pytest.fixture
def aws():
    return EchoAws()


@pytest.fixture
def app(aws):
    return echo_invoker(aws)


def message_of(response):
    body = response["body"]
    return (body if isinstance(body, dict) else json.loads(body))["message"]


def url_event(**changes):
    event = load_event("invoke-function-url.json")
    event.update(changes)
    return event


def test_a_model_answer_that_claims_json_but_is_not_passes_through_untouched(aws, app):
    # Given a model that answers application/json with bytes that are not JSON
    aws.model_answer = ("application/json", b"NaN-ish {not json")

    # When called directly and through a Function URL
    direct = invoke(app, load_event("invoke-direct.json"))
    url = invoke(app, url_event())

    # Then both answer 200 with the model's exact bytes
    assert direct["statusCode"] == 200, direct
    assert base64.b64decode(direct["bodyBase64"]) == b"NaN-ish {not json"
    assert (url["statusCode"], url["body"]) == (200, "NaN-ish {not json")


def test_a_model_answer_nested_past_the_recursion_limit_passes_through_untouched(aws, app):
    # Given a model that answers JSON nested deeper than Python can parse
    deep = b"[" * 100_000 + b"]" * 100_000
    aws.model_answer = ("application/json", deep)

    # When called directly
    direct = invoke(app, load_event("invoke-direct.json"))

    # Then it answers 200 with the model's exact bytes
    assert direct["statusCode"] == 200, direct
    assert base64.b64decode(direct["bodyBase64"]) == deep


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"bodyBase64": 12}, "bodyBase64 must be a base64 string, got int"),
        ({"bodyBase64": ["QQ=="]}, "bodyBase64 must be a base64 string, got list"),
        ({"body": "caf\ud800"}, "body is not valid Unicode text: a lone surrogate at position 3"),
        ({"body": "x", "customAttributes": 7}, "field customAttributes must be a string"),
        ({"body": "x", "customAttributes": "a\r\nX-Evil: 1"}, "field customAttributes must be"),
        ({"body": "x", "targetVariant": "A\nB"}, "field targetVariant must be letters"),
        ({"body": "x", "contentType": "text/csv\r\n"}, "field contentType must be printable"),
        ({"body": "x", "inferenceId": "\ud800"}, "field inferenceId must be printable"),
        ({"mode": "result", "outputLocation": ["s3://b/k"]}, "outputLocation must be a string"),
        ({"mode": "result", "outputLocation": "s3://b/async-output/a\r\n"}, "no CR, LF"),
    ],
)
def test_malformed_direct_fields_answer_400_naming_the_field(app, aws, event, message):
    response = invoke(app, event)
    assert response["statusCode"] == 400, response
    assert message in message_of(response)
    assert not aws.runtime_calls


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"headers": [["content-type", "application/json"]]}, "headers must be a map"),
        ({"body": {"instances": [[1]]}}, "body must be a string (base64 when binary), got dict"),
        ({"queryStringParameters": ["mode", "async"]}, "queryStringParameters must be a map"),
        ({"body": "\udc80"}, "body is not valid Unicode text"),
        ({"body": 5, "isBase64Encoded": True}, "body must be a string"),
        ({"headers": {"content-type": 5}}, "header content-type must be a string, got int"),
        ({"headers": {"accept": "a\rb"}}, "header accept must be printable ASCII"),
        (
            {"headers": {"x-amzn-sagemaker-custom-attributes": "k=v\r\nInjected: yes"}},
            "header x-amzn-sagemaker-custom-attributes must be printable ASCII",
        ),
        (
            {"headers": {"x-amzn-sagemaker-custom-attributes": "a" * 100 * 1024}},
            "must be 0 to 1024 characters, got 102400",
        ),
    ],
)
def test_malformed_http_events_answer_400_naming_what_is_wrong(app, aws, changes, message):
    response = invoke(app, url_event(**changes))
    assert response["statusCode"] == 400, response
    assert message in message_of(response)
    assert not aws.runtime_calls


def test_a_rest_api_event_with_a_list_for_headers_is_refused_in_its_own_shape(app):
    event = load_event("invoke-rest-api.json")
    event["headers"] = ["Content-Type: text/csv"]
    response = invoke(app, event)
    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded"}
    assert response["statusCode"] == 400
    assert "headers must be a map" in message_of(response)


@pytest.mark.parametrize("timeout", ["inf", "-inf", "nan", "0", "soon"])
def test_a_read_timeout_that_is_not_a_finite_positive_number_fails_the_settings(timeout):
    environment = {"SAGEMAKER_ENDPOINT_NAME": "churn", "RUNTIME_READ_TIMEOUT_SECONDS": timeout}
    with pytest.raises(MisconfiguredInvoker, match="must be a finite number of seconds > 0"):
        InvokerSettings.from_environment(environment)


def async_receipt(app):
    accepted = invoke(app, {"body": {"x": 1}, "mode": "async"})
    assert accepted["statusCode"] == 202, accepted
    return accepted["body"]


@pytest.mark.parametrize("missing_status", [404, 403])
def test_a_result_not_written_yet_is_pending_whether_s3_answers_404_or_403(
    aws, app, missing_status
):
    # Given S3 answering a missing result with 404, or 403 (the role's listing grant is what
    # tells S3 it may say 404)
    aws.missing_status = missing_status
    receipt = async_receipt(app)

    # When the result is fetched before the model wrote it
    pending = invoke(app, {"mode": "result", "outputLocation": receipt["OutputLocation"]})

    # Then it is pending, not an upstream failure
    assert pending["statusCode"] == 202, pending
    assert pending["body"]["status"] == "pending"


def test_a_role_that_may_not_list_the_results_names_the_missing_grant(aws, app):
    # Given a role without s3:ListBucket: S3 answers 403 for a result not written yet
    receipt = async_receipt(app)
    aws.missing_status, aws.may_list = 403, False

    # When the result is fetched
    response = invoke(app, {"mode": "result", "outputLocation": receipt["OutputLocation"]})

    # Then the answer names the grant to add, instead of a 502 the caller cannot act on
    assert response["statusCode"] == 500, response
    assert response["body"]["error"] == "ConfigurationError"
    assert "grant s3:ListBucket" in response["body"]["message"]


def test_a_written_result_the_role_may_not_read_names_the_missing_grant(aws, app):
    # Given a result S3 holds, and a role that may list it but not read it
    receipt = async_receipt(app)
    aws.objects[receipt["OutputLocation"].split("/", 3)[3]] = b'{"done": true}'
    aws.may_read = False

    # When it is fetched
    response = invoke(app, {"mode": "result", "outputLocation": receipt["OutputLocation"]})

    # Then the answer names the grant, and never claims the result is pending
    assert response["statusCode"] == 500, response
    assert "grant s3:GetObject" in response["body"]["message"]


def test_async_mode_without_async_bucket_is_a_configuration_error_not_the_callers(aws):
    app = echo_invoker(aws, async_bucket=None)
    response = invoke(app, {"body": {"x": 1}, "mode": "async"})
    assert response["statusCode"] == 500, response
    assert response["body"]["error"] == "ConfigurationError"
    assert "ASYNC_BUCKET is not set" in response["body"]["message"]


def test_header_rules_match_botocores_model_of_invoke_endpoint():
    # Given botocore's model of the InvokeEndpoint request
    members = (
        botocore.session.get_session()
        .get_service_model("sagemaker-runtime")
        .operation_model("InvokeEndpoint")
        .input_shape.members
    )

    # Then every option the invoker passes through has the model's length bounds, and a
    # pattern written for that model's pattern
    readings = {
        r"\p{ASCII}*": "printable ASCII",
        r"\A\S[\p{Print}]*\z": "printable ASCII, not starting with a space",
        "^[a-zA-Z0-9](-*[a-zA-Z0-9])*": "letters, digits and inner hyphens",
        r"^[a-zA-Z0-9]([\-a-zA-Z0-9]*[a-zA-Z0-9])?$": "letters, digits and hyphens",
        "^(NEW_SESSION)$|^[a-zA-Z0-9](-*[a-zA-Z0-9])*$": (
            "NEW_SESSION, or letters, digits and inner hyphens"
        ),
    }
    for option, (low, high, _pattern, meaning) in HEADER_VALUES.items():
        shape = members[option]
        assert members[option].serialization["location"] == "header"
        assert (low, high) == (shape.metadata.get("min", 0), shape.metadata["max"]), option
        assert meaning == readings[shape.metadata["pattern"]], option
