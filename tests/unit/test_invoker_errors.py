"""Every failure maps to a status a caller can act on; configuration problems say what to fix."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from endpoint_invoker import errors
from endpoint_invoker.settings import InvokerSettings, MisconfiguredInvoker


def client_error(code, message, **extra):
    return ClientError({"Error": {"Code": code, "Message": message}, **extra}, "InvokeEndpoint")


def test_a_model_error_returns_the_models_status_message_and_log_stream():
    error = client_error(
        "ModelError",
        "Received server error (500) from primary",
        OriginalStatusCode=500,
        OriginalMessage="division by zero",
        LogStreamArn="arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/churn",
    )
    answer = errors.answer_for(error, "req-1")
    document = json.loads(answer.body)
    assert answer.status == 424
    assert document["message"] == "division by zero"
    assert document["originalStatusCode"] == 500
    assert document["logStreamArn"].endswith("/aws/sagemaker/Endpoints/churn")


@pytest.mark.parametrize(
    ("code", "retry_after"),
    [("ThrottlingException", "1"), ("ServiceUnavailable", "5"), ("ModelNotReadyException", "30")],
)
def test_transient_failures_are_503_with_retry_after(code, retry_after):
    answer = errors.answer_for(client_error(code, "later"), "req-1")
    assert (answer.status, answer.headers["Retry-After"]) == (503, retry_after)


def test_a_missing_endpoint_is_a_configuration_error():
    error = client_error("ValidationError", "Endpoint churn of account 123456789012 not found.")
    answer = errors.answer_for(error, "req-1")
    assert answer.status == 500
    assert "check SAGEMAKER_ENDPOINT_NAME" in json.loads(answer.body)["message"]


def test_other_validation_errors_are_the_callers():
    answer = errors.answer_for(client_error("ValidationError", "bad payload"), "req-1")
    assert (answer.status, answer.error_kind) == (400, "ValidationError")


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({}, "SAGEMAKER_ENDPOINT_NAME is not set"),
        ({"SAGEMAKER_ENDPOINT_NAME": "churn_v1"}, "SAGEMAKER_ENDPOINT_NAME='churn_v1' is invalid"),
    ],
)
def test_a_missing_or_malformed_endpoint_name_is_named(environment, message):
    with pytest.raises(MisconfiguredInvoker, match=message):
        InvokerSettings.from_environment(environment)


def test_an_endpoint_not_in_service_is_worth_retrying():
    error = client_error("ValidationError", "Endpoint churn is not in service.")
    answer = errors.answer_for(error, "req-1")
    assert (answer.status, answer.headers["Retry-After"]) == (503, "30")
