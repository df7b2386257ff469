"""What each failure means for the caller: the one place every failure becomes an Answer. Pure.

Callers see a status, a kind and a message that says what to do, never a stack trace: 4xx when
the request is at fault, 5xx naming the misconfiguration or the service that failed.
"""

from __future__ import annotations

import re

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from endpoint_invoker.invocation import Answer, BadRequest, StreamingNotSupported
from endpoint_invoker.settings import MisconfiguredInvoker

INTERNAL = "InternalError"
# Seconds a caller should wait before retrying, by SageMaker error code.
RETRY_LATER = {
    "ThrottlingException": 1,
    "ServiceUnavailable": 5,
    "InternalDependencyException": 5,
    "ModelNotReadyException": 30,
}
# InvokeEndpoint on a name the account does not have: "Endpoint churn of account
# 123456789012 not found."
_NO_SUCH_ENDPOINT = re.compile(r"endpoint (\S+) of account \S+ not found", re.IGNORECASE)
# An inference component with no copy running (scaled to zero, or scaling) is a ValidationError
# (HTTP 400): "Inference Component has no capacity to process this request. ApplicationAutoScaling
# may be in-progress (if configured) or try to increase the capacity by invoking
# UpdateInferenceComponentRuntimeConfig API." Copies are on their way back (or an operator must
# add them): the request is not the caller's mistake, and is worth retrying. A copy takes a
# minute or more to start: an instance if none is free, then the model's download and load.
_NO_CAPACITY = "has no capacity to process this request"
NO_CAPACITY_RETRY_AFTER = 60


def answer_for(error: Exception, request_id: str) -> Answer:
    """The answer to a request that raised `error`; `request_id` is what a caller quotes when
    the failure is nobody's but ours."""
    if isinstance(error, StreamingNotSupported):
        return Answer.error(400, "StreamingNotSupported", str(error))
    if isinstance(error, BadRequest):
        return Answer.error(400, "BadRequest", str(error))
    if isinstance(error, ParamValidationError):
        # A value the event checks let through but botocore's model refuses: still the caller's.
        return Answer.error(400, "BadRequest", str(error).replace("\n", " "))
    if isinstance(error, MisconfiguredInvoker):
        return _configuration_error(str(error))
    if isinstance(error, ClientError):
        return _for_client_error(error)
    if isinstance(error, ReadTimeoutError | ConnectTimeoutError):
        return Answer.error(504, "Timeout", f"SageMaker Runtime did not answer in time: {error}")
    if isinstance(error, EndpointConnectionError):
        return Answer.error(
            502,
            "EndpointUnreachable",
            "cannot reach SageMaker Runtime: check the sagemaker.runtime VPC interface endpoint, "
            f"its private DNS and its security group ({error})",
        )
    return Answer.error(500, INTERNAL, f"request {request_id} failed")


def _configuration_error(message: str) -> Answer:
    return Answer.error(500, "ConfigurationError", message)


def payload_too_large(size: int, limit: int) -> Answer:
    return Answer.error(
        413,
        "PayloadTooLarge",
        f"{size} bytes exceed SageMaker's real-time limit of {limit}: send it asynchronously "
        "(header X-Invocation-Mode: async, query mode=async, or field mode) to an async endpoint",
    )


def _for_client_error(error: ClientError) -> Answer:
    details = error.response.get("Error", {})
    code = details.get("Code", "Unknown")
    message = details.get("Message") or code
    if code == "ModelError":
        return _model_error(error, message)
    if code in RETRY_LATER:
        return Answer.error(503, code, message, retry_after=RETRY_LATER[code])
    if code == "ValidationError" and _NO_CAPACITY in message:
        return Answer.error(503, "NoCapacity", message, retry_after=NO_CAPACITY_RETRY_AFTER)
    if code == "ValidationError" and "not in service" in message.lower():
        # Creating, or failed: the endpoint may serve later; the caller should retry.
        return Answer.error(503, "EndpointNotInService", message, retry_after=30)
    missing = _NO_SUCH_ENDPOINT.search(message) if code == "ValidationError" else None
    if missing:
        return _configuration_error(
            f"endpoint {missing.group(1)} does not exist in this account and region: "
            "check SAGEMAKER_ENDPOINT_NAME"
        )
    if code in {"ValidationError", "ValidationException"}:
        return Answer.error(400, "ValidationError", message)
    if code == "413":
        return Answer.error(413, "PayloadTooLarge", message)
    return Answer.error(502, code, message)


def _model_error(error: ClientError, message: str) -> Answer:
    response = error.response
    original_status = response.get("OriginalStatusCode")
    return Answer.error(
        424,
        "ModelError",
        str(response.get("OriginalMessage") or message),
        originalStatusCode=original_status,
        logStreamArn=response.get("LogStreamArn"),
    )
