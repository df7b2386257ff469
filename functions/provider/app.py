"""Custom::SageMakerEndpoint provider: crhelper and Powertools wiring around the provisioner."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from endpoint_common.aws import AwsClients, botocore_config
from endpoint_common.observability import logger, tracer
from endpoint_provider.cfn_resource import ContinuableResource
from endpoint_provider.continuation import PROGRESS_KEY, LambdaContinuation
from endpoint_provider.lifecycle import (
    Budget,
    Completed,
    EndpointProvisioner,
    Failed,
    Progress,
    ResourceRequest,
    explain,
)
from endpoint_provider.lost_invocations import is_destination_batch, lost_invocations
from endpoint_provider.reasons import reason_for_cloudformation
from endpoint_provider.sagemaker_gateway import SageMakerGateway
from endpoint_provider.scaling_gateway import ScalingGateway
from endpoint_provider.settings import ProviderSettings

# INFO, not crhelper's DEBUG default, which logs the whole event and its ResponseURL; and no
# 120 s sleep before answering a Delete.
helper = ContinuableResource(log_level="INFO", boto_level="WARNING", sleep_on_delete=0)
# crhelper's own lines then carry the same JSON format and request keys as ours.
copy_config_to_registered_loggers(source_logger=logger, include={"crhelper"})
# Control-plane calls answer within seconds; many retries ride out throttling during fan-out.
clients = AwsClients(botocore_config(read_timeout=60, max_attempts=10))
# An asynchronous Invoke is accepted in milliseconds; a hand-off must end well inside
# HandoffMarginSeconds (10 s at least), so that a failed one is still answered FAILED.
handoff_clients = AwsClients(botocore_config(read_timeout=2, max_attempts=2))

try:
    settings = ProviderSettings.from_environment()
except ValidationError as error:
    helper.init_failure(error)


@cache
def provisioner() -> EndpointProvisioner:
    return EndpointProvisioner(
        SageMakerGateway(clients.sagemaker),
        ScalingGateway(clients.application_autoscaling, clients.cloudwatch),
        settings,
    )


@cache
def continuation() -> LambdaContinuation:
    return LambdaContinuation(handoff_clients.lambda_)


class ProvisioningError(Exception):
    """Carries the reason CloudFormation shows for a FAILED response."""


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds the ResponseURL.
@logger.inject_lambda_context(clear_state=True, log_event=False)
# Powertools types what its decorators return as Callable[..., Any].
@tracer.capture_lambda_handler  # type: ignore[untyped-decorator]
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
    if is_destination_batch(event):
        return answer_lost_invocations(event, context)
    logger.append_keys(
        StackId=event.get("StackId"),
        LogicalResourceId=event.get("LogicalResourceId"),
        RequestId=event.get("RequestId"),
        RequestType=event.get("RequestType"),
    )
    helper(event, context)
    return None


@helper.create
@helper.update
@helper.delete
def provision(event: dict[str, Any], context: LambdaContext) -> str | None:
    try:
        request = resource_request(event)
        # Every failure from here on, whatever raises it, answers with this ID.
        helper.fail_as(provisioner().failure_id(request))
        return provision_step(event, request, context)
    except ProvisioningError:
        raise
    except Exception as error:
        raise ProvisioningError(
            reason_for_cloudformation(explain(error), context.log_stream_name)
        ) from error


def resource_request(event: dict[str, Any]) -> ResourceRequest:
    return ResourceRequest(
        request_type=event["RequestType"],
        stack_id=event["StackId"],
        logical_id=event["LogicalResourceId"],
        properties=event.get("ResourceProperties"),
        old_properties=event.get("OldResourceProperties"),
        physical_id=event.get("PhysicalResourceId"),
    )


def provision_step(
    event: dict[str, Any], request: ResourceRequest, context: LambdaContext
) -> str | None:
    progress = (
        Progress.from_dict(event[PROGRESS_KEY])
        if PROGRESS_KEY in event
        else provisioner().start(request)
    )
    logger.info("request step started", stage=progress.stage, invocation=progress.invocation)
    budget = Budget(
        lambda: context.get_remaining_time_in_millis() / 1000, settings.handoff_margin_seconds
    )
    outcome = provisioner().handle(request, progress, budget)
    if isinstance(outcome, Completed):
        logger.info("request succeeded", physical_id=outcome.physical_id)
        helper.Data.update(outcome.data)
        return outcome.physical_id
    if isinstance(outcome, Failed):
        logger.error("request failed", reason=outcome.reason)
        raise ProvisioningError(reason_for_cloudformation(outcome.reason, context.log_stream_name))
    logger.info("handing off to a fresh invocation", invocation=outcome.progress.invocation)
    helper.hand_off(
        lambda: continuation().schedule(
            context.invoked_function_arn, {**event, PROGRESS_KEY: outcome.progress.to_dict()}
        )
    )
    return None


def answer_lost_invocations(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Answers FAILED for each request whose asynchronous invocation Lambda gave up on; a
    record whose answer could not be delivered goes back to the queue for another try."""
    undelivered = []
    for lost in lost_invocations(event):
        if not lost.answerable or lost.timed_out:
            logger.warning(
                "lost invocation not answered",
                condition=lost.condition,
                error=lost.error,
                reason="timed out: its timer answered" if lost.timed_out else "no request",
            )
            continue
        try:
            failure_id = provisioner().failure_id(resource_request(lost.request))
        except NameError:
            # No settings (a broken environment, reported on every request): no endpoint name
            # to derive, the placeholder ID will do.
            failure_id = None
        logger.error("answering a lost invocation", condition=lost.condition, error=lost.error)
        delivered = helper.delivery.deliver(
            lost.request["ResponseURL"],
            lost.answer(failure_id),
            context.get_remaining_time_in_millis() / 1000 - 1,
        )
        if not delivered:
            undelivered.append({"itemIdentifier": lost.message_id})
    return {"batchItemFailures": undelivered}
