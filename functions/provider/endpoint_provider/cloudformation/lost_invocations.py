"""Requests whose asynchronous invocation Lambda gave up on, and the answer they are owed.

CloudFormation's own delivery of a request and the provider's hand-offs to itself are
asynchronous invocations. When one is dropped (throttled past its maximum age) or crashes (out
of memory, a runtime exit), nobody would answer and the stack would wait out ServiceTimeout.
Lambda puts such an invocation on the provider's on-failure destination, an SQS queue the
provider reads: this module turns each record into the FAILED answer it is owed.

A record for an invocation that timed out is not answered: the invocation's own timer answered
it (or handed it off) before Lambda's timeout, and a second answer could contradict it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from endpoint_provider.cloudformation.reasons import reason_for_cloudformation

SQS_SOURCE = "aws:sqs"


@dataclass(frozen=True)
class LostInvocation:
    message_id: str
    # The CloudFormation request as the lost invocation received it (with its progress).
    request: dict[str, Any]
    condition: str
    error: str

    @property
    def timed_out(self) -> bool:
        return "Task timed out" in self.error or "Sandbox.Timedout" in self.error

    @property
    def answerable(self) -> bool:
        return isinstance(self.request.get("ResponseURL"), str) and all(
            isinstance(self.request.get(key), str)
            for key in ("StackId", "RequestId", "LogicalResourceId", "RequestType")
        )

    def reason(self) -> str:
        what = {
            "EventAgeExceeded": "was never run: Lambda dropped it after too long in its queue "
            "(account concurrency exhausted?)",
            "RetriesExhausted": f"crashed ({self.error or 'no error reported'})",
        }.get(self.condition, f"was lost ({self.condition})")
        return (
            f"the provider's invocation for this request {what}; the request was not finished: "
            "retry the stack operation"
        )

    def answer(self, failure_id: str | None) -> dict[str, Any]:
        physical_id = (
            failure_id
            or self.request.get("PhysicalResourceId")
            or f"{self.request['LogicalResourceId']}-{self.request['RequestId']}"
        )
        return {
            "Status": "FAILED",
            "PhysicalResourceId": physical_id,
            "StackId": self.request["StackId"],
            "RequestId": self.request["RequestId"],
            "LogicalResourceId": self.request["LogicalResourceId"],
            "Reason": reason_for_cloudformation(self.reason(), None),
            "Data": {},
        }


def is_destination_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return (
        isinstance(records, list)
        and bool(records)
        and all(
            isinstance(record, dict) and record.get("eventSource") == SQS_SOURCE
            for record in records
        )
    )


def lost_invocations(event: dict[str, Any]) -> list[LostInvocation]:
    """The records of an SQS batch from the on-failure destination; unreadable ones become a
    LostInvocation with an empty request, which is not answerable."""
    return [_read(record) for record in event["Records"]]


def _read(record: dict[str, Any]) -> LostInvocation:
    try:
        body = json.loads(record.get("body") or "")
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    request = body.get("requestPayload")
    context = body.get("requestContext") or {}
    response = body.get("responsePayload") or {}
    error = " ".join(
        str(part)
        for part in (
            response.get("errorType") if isinstance(response, dict) else None,
            response.get("errorMessage") if isinstance(response, dict) else response,
        )
        if part
    )
    return LostInvocation(
        message_id=str(record.get("messageId", "")),
        request=request if isinstance(request, dict) else {},
        condition=str(context.get("condition", "unknown")) if isinstance(context, dict) else "",
        error=error[:120],
    )
