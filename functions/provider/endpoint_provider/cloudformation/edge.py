"""The CloudFormation edge: a custom resource request in, exactly one answer out.

Turns the event into a `ResourceRequest`, runs one step of the provisioner of the event's
ResourceType, and turns its outcome into the answer: SUCCESS with the physical ID and
attributes, FAILED with a reason that fits what CloudFormation shows, or a hand-off to a fresh
invocation. Requests whose
invocation Lambda lost arrive here too, and are answered FAILED.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from endpoint_common.observability import logger
from endpoint_provider.cloudformation.handoff import PROGRESS_KEY
from endpoint_provider.cloudformation.lost_invocations import (
    is_destination_batch,
    lost_invocations,
)
from endpoint_provider.cloudformation.reasons import answer_reason
from endpoint_provider.cloudformation.resource import ContinuableResource
from endpoint_provider.failures import failed
from endpoint_provider.request import (
    Budget,
    Completed,
    Continuation,
    DesiredStates,
    Failed,
    Pending,
    Progress,
    Provisioner,
    Provisioners,
    ProvisioningFailed,
    ResourceRequest,
)

# A lost invocation's answer must be delivered before the batch's own invocation ends.
LOST_ANSWER_RESERVE_SECONDS = 1.0


def resource_request(event: dict[str, Any]) -> ResourceRequest:
    return ResourceRequest(
        request_type=event["RequestType"],
        stack_id=event["StackId"],
        logical_id=event["LogicalResourceId"],
        resource_type=str(event.get("ResourceType") or ""),
        properties=event.get("ResourceProperties"),
        old_properties=event.get("OldResourceProperties"),
        physical_id=event.get("PhysicalResourceId"),
    )


class CloudFormationEdge:
    """The provisioners, continuation and hand-off margin are looked up on every request (the
    functions passed in), so that what the wiring builds lazily is built only when needed."""

    def __init__(
        self,
        resource: ContinuableResource,
        provisioners: Callable[[], Provisioners],
        continuation: Callable[[], Continuation],
        handoff_margin: Callable[[], float],
    ):
        self.resource = resource
        self._provisioners = provisioners
        self._continuation = continuation
        self._handoff_margin = handoff_margin
        resource.create(self.provision)
        resource.update(self.provision)
        resource.delete(self.provision)

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
        if is_destination_batch(event):
            return self.answer_lost_invocations(event, context)
        logger.append_keys(
            StackId=event.get("StackId"),
            LogicalResourceId=event.get("LogicalResourceId"),
            RequestId=event.get("RequestId"),
            RequestType=event.get("RequestType"),
        )
        self.resource(event, context)
        return None

    def provision(self, event: dict[str, Any], context: LambdaContext) -> str | None:
        """crhelper's create, update and delete: the physical ID on success, None once handed
        off; ProvisioningFailed carries the reason of a FAILED answer."""
        try:
            request = resource_request(event)
            provisioner = self._provisioners().for_type(request.resource_type)
            # Parsed once: the failure ID and every stage of the step read the same states.
            states = provisioner.desired_states(request)
            # Every failure from here on, whatever raises it, answers with this ID.
            self.resource.fail_as(provisioner.failure_id(request, states))
            outcome = self._step(event, provisioner, request, states, context)
            if isinstance(outcome, Pending):
                self._hand_off(event, outcome, context)
                return None
        except Exception as error:
            reason = answer_reason(failed(error), context.log_stream_name)
            raise ProvisioningFailed(reason) from error
        if isinstance(outcome, Failed):
            logger.error("request failed", reason=outcome.reason)
            raise ProvisioningFailed(answer_reason(outcome, context.log_stream_name))
        logger.info("request succeeded", physical_id=outcome.physical_id)
        self.resource.Data.update(outcome.data)
        return outcome.physical_id

    def _step(
        self,
        event: dict[str, Any],
        provisioner: Provisioner,
        request: ResourceRequest,
        states: DesiredStates[Any],
        context: LambdaContext,
    ) -> Completed | Failed | Pending:
        progress = (
            Progress.from_dict(event[PROGRESS_KEY])
            if PROGRESS_KEY in event
            else provisioner.start(request, states)
        )
        logger.info("request step started", stage=progress.stage, invocation=progress.invocation)
        budget = Budget(
            lambda: context.get_remaining_time_in_millis() / 1000, self._handoff_margin()
        )
        return provisioner.handle(request, progress, budget, states)

    def _hand_off(self, event: dict[str, Any], pending: Pending, context: LambdaContext) -> None:
        logger.info("handing off to a fresh invocation", invocation=pending.progress.invocation)
        self.resource.hand_off(
            lambda: self._continuation().schedule(
                context.invoked_function_arn, {**event, PROGRESS_KEY: pending.progress.to_dict()}
            )
        )

    def answer_lost_invocations(
        self, event: dict[str, Any], context: LambdaContext
    ) -> dict[str, Any]:
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
                request = resource_request(lost.request)
                provisioner = self._provisioners().for_type(request.resource_type)
                failure_id = provisioner.failure_id(request)
            except NameError:
                # No settings (a broken environment, reported on every request): no endpoint
                # name to derive, the placeholder ID will do.
                failure_id = None
            logger.error("answering a lost invocation", condition=lost.condition, error=lost.error)
            delivered = self.resource.delivery.deliver(
                lost.request["ResponseURL"],
                lost.answer(failure_id),
                context.get_remaining_time_in_millis() / 1000 - LOST_ANSWER_RESERVE_SECONDS,
            )
            if not delivered:
                undelivered.append({"itemIdentifier": lost.message_id})
        return {"batchItemFailures": undelivered}
