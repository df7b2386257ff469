"""What each failure means for the caller: one place maps them all to an Answer. Pure.

Callers see a status, a kind and SageMaker's message, never a stack trace.
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from endpoint_invoker.invocation import Answer

# Seconds a caller should wait before retrying, by SageMaker error code.
RETRY_LATER = {
    "ThrottlingException": 1,
    "ServiceUnavailable": 5,
    "InternalDependencyException": 5,
    "ModelNotReadyException": 30,
}


def for_client_error(error: ClientError, endpoint_name: str) -> Answer:
    details = error.response.get("Error", {})
    code = details.get("Code", "Unknown")
    message = details.get("Message") or code
    if code == "ModelError":
        return _model_error(error, message)
    if code in RETRY_LATER:
        return Answer.error(503, code, message, retry_after=RETRY_LATER[code])
    if code == "ValidationError" and "not in service" in message.lower():
        # Creating, or failed: the endpoint may serve later; the caller should retry.
        return Answer.error(503, "EndpointNotInService", message, retry_after=30)
    if (
        code == "ValidationError"
        and f"endpoint {endpoint_name.lower()} of account" in message.lower()
    ):
        return configuration_error(
            f"endpoint {endpoint_name} does not exist in this account and region: "
            "check SAGEMAKER_ENDPOINT_NAME"
        )
    if code in {"ValidationError", "ValidationException"}:
        return Answer.error(400, "ValidationError", message)
    if code == "413":
        return Answer.error(413, "PayloadTooLarge", message)
    return Answer.error(502, code, message)


def for_timeout(error: ReadTimeoutError | ConnectTimeoutError) -> Answer:
    return Answer.error(504, "Timeout", f"SageMaker Runtime did not answer in time: {error}")


def for_unreachable(error: EndpointConnectionError) -> Answer:
    return Answer.error(
        502,
        "EndpointUnreachable",
        "cannot reach SageMaker Runtime: check the sagemaker.runtime VPC interface endpoint, "
        f"its private DNS and its security group ({error})",
    )


def configuration_error(message: str) -> Answer:
    return Answer.error(500, "ConfigurationError", message)


def payload_too_large(size: int, limit: int) -> Answer:
    return Answer.error(
        413,
        "PayloadTooLarge",
        f"{size} bytes exceed SageMaker's real-time limit of {limit}: send it asynchronously "
        "(header X-Invocation-Mode: async, query mode=async, or field mode) to an async endpoint",
    )


def _model_error(error: ClientError, message: str) -> Answer:
    response = error.response
    original_status = response.get("OriginalStatusCode")
    return Answer.error(
        424,
        "ModelError",
        response.get("OriginalMessage") or message,
        originalStatusCode=original_status,
        logStreamArn=response.get("LogStreamArn"),
    )
