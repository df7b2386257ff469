"""What a user reads for a failure, leading with what to do about it: the provider's own
failures as they are worded, AWS's refusals with the remedy their code implies. Below both the
CloudFormation edge (which fits the text into what CloudFormation shows) and the provisioners
(which carry a reason across invocations)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from endpoint_common.observability import logger
from endpoint_provider.property_errors import InvalidProperties
from endpoint_provider.request import Failed, ProvisioningFailed
from endpoint_provider.sagemaker_gateway import EndpointBusy, ForeignResource

_THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)
_ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def explain(error: Exception) -> str:
    """What the user reads for a failure, leading with what to do about it."""
    if isinstance(error, InvalidProperties):
        # The edge may shorten them to fit CloudFormation's 256 characters; the log has all.
        logger.error("invalid properties", problems=error.problems)
        return "Invalid properties: " + "; ".join(error.problems)
    if isinstance(error, ProvisioningFailed | ForeignResource):
        return str(error)
    if isinstance(error, EndpointBusy):
        return (
            f"{error} started changing on its own (SageMaker maintenance, or autoscaling?); "
            "retry the stack operation"
        )
    if isinstance(error, ClientError):
        return _aws_reason(error)
    if isinstance(error, BotoCoreError):
        return f"AWS unreachable after retries, retry the stack operation: {error}"
    logger.exception("unexpected provider error")
    return f"provider error {type(error).__name__}: {error}; retry, and report it if it persists"


def _aws_reason(error: ClientError) -> str:
    details = error.response.get("Error", {})
    code = details.get("Code")
    reason = f"{error.operation_name} refused: {details.get('Message') or code}"
    if code in _THROTTLING_CODES:
        return f"{reason} (throttled after retries; retry the stack operation later)"
    if code in _ACCESS_DENIED_CODES:
        return f"{reason} (grant it to the provider function's role)"
    return reason


def failed(error: Exception) -> Failed:
    """The FAILED outcome of `error`; invalid properties keep their list, so that the edge can
    fit every path into CloudFormation's reason."""
    problems = tuple(error.problems) if isinstance(error, InvalidProperties) else ()
    return Failed(explain(error), problems)
