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


@pytest.mark.parametrize(
    ("read_timeout", "function_timeout", "fits"),
    [("25", "60", True), ("25", "55", True), ("25", "54", False), ("40", "60", False)],
)
def test_the_read_timeout_with_its_retry_must_fit_the_functions_timeout(
    read_timeout, function_timeout, fits
):
    # Given a read timeout and the function's timeout (template.yaml passes InvokerTimeoutSeconds)
    environment = {
        "SAGEMAKER_ENDPOINT_NAME": "churn",
        "RUNTIME_READ_TIMEOUT_SECONDS": read_timeout,
        "INVOKER_TIMEOUT_SECONDS": function_timeout,
    }

    # Then two attempts (2 s to connect, the read timeout to read) and the wait before the
    # retry must fit, else every request says which to change and to what
    if fits:
        assert InvokerSettings.from_environment(environment).read_timeout_seconds == float(
            read_timeout
        )
        return
    with pytest.raises(MisconfiguredInvoker) as refused:
        InvokerSettings.from_environment(environment)
    message = str(refused.value)
    assert f"RUNTIME_READ_TIMEOUT_SECONDS={read_timeout} does not fit" in message
    needed = 2 * (2 + int(read_timeout)) + 1
    assert f"raise InvokerTimeoutSeconds to at least {needed}" in message
    assert f"at most {(int(function_timeout) - 5) // 2} s" in message


def test_no_capacity_is_told_apart_from_other_validation_errors():
    # Given SageMaker's answer for an inference component at zero copies, and another 400
    no_capacity = client_error(
        "ValidationError",
        "Inference Component has no capacity to process this request. ApplicationAutoScaling "
        "may be in-progress (if configured) or try to increase the capacity by invoking "
        "UpdateInferenceComponentRuntimeConfig API.",
    )
    other = client_error("ValidationError", "Inference Component churn-ic not found.")

    # Then the first is worth a retry once copies are back; the other is the caller's
    answer = errors.answer_for(no_capacity, "req-1")
    assert (answer.status, answer.error_kind) == (503, "NoCapacity")
    assert int(answer.headers["Retry-After"]) >= 30
    assert errors.answer_for(other, "req-1").status == 400
