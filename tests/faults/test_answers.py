"""One true answer per request whatever goes wrong around the provisioning itself: the
ResponseURL misbehaving, crhelper's timer firing mid-request, an invocation Lambda gave up on,
hostile ResourceProperties, and invocations that start with too little time."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from endpoint_provider.cloudformation.delivery import DeliveryTiming, ResponseDelivery
from endpoint_provider.cloudformation.handoff import PROGRESS_KEY
from endpoint_provider.cloudformation.resource import Settlement
from localaws.clock import ClockedContext
from tests.faults.harness import FIGURES, LOGICAL_ID, FaultWorld, base_properties
from tests.support.clocked_provider import ManualTimer

ENDPOINT_ARN_PREFIX = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/"


def send(world: FaultWorld, event: dict[str, Any]) -> list[Any]:
    """Delivers the event like CloudFormation, runs its hand-offs, returns every answer."""
    world.lambda_.invoke(event)
    while not world.collector.responses(event["RequestId"]) and world.lambda_.run_queued():
        pass
    return world.collector.responses(event["RequestId"])


def nothing_left(world: FaultWorld) -> bool:
    return not any(world.inventory().values())


def record(name: str, answers: list[Any], world: FaultWorld) -> None:
    """Counts the case in the suite's figures once the stack is gone: CloudFormation deletes
    the ID it holds (the rollback of a failure, or the end of a success)."""
    if len(answers) == 1:
        world.cloudformation.delete(LOGICAL_ID, answers[0].physical_id, base_properties())
    left = sum(map(len, world.inventory().values()))
    FIGURES.record(name, [] if len(answers) == 1 else [f"{len(answers)} answers"], left)


# --- the ResponseURL ----------------------------------------------------------------------------


@pytest.mark.parametrize("faults", [("500",), ("500", "500", "500"), ("drop",), ("drop", "500")])
def test_a_response_url_that_fails_at_first_gets_the_answer_once(world, faults):
    # Given S3 answering the first PUTs with a 500 or by dropping the connection
    world.collector.inject(*faults)
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())

    # When the resource is created
    answers = send(world, event)

    # Then the answer arrives once, after one retry per fault
    assert [a.status for a in answers] == ["SUCCESS"], [a.reason for a in answers]
    assert world.collector.attempts(event["RequestId"]) == len(faults) + 1
    record(f"ResponseURL {'+'.join(faults)} then OK", answers, world)


def test_a_hanging_put_is_abandoned_and_retried(world, monkeypatch):
    # Given S3 never answering the first PUT, and attempts that give up after 0.5 s
    monkeypatch.setattr(world.app.helper.delivery, "timing", DeliveryTiming(attempt_timeout=0.5))
    world.collector.inject("hang")
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())

    # When the resource is created
    answers = send(world, event)
    world.collector.release_hung()

    # Then the second PUT delivers the one answer, and crhelper's timer never sent another
    assert [a.status for a in answers] == ["SUCCESS"]
    assert world.collector.attempts(event["RequestId"]) == 2
    assert all(timer.cancelled for timer in ManualTimer.armed)
    record("ResponseURL hangs then OK", answers, world)


def test_a_refused_response_url_is_retried_until_the_invocation_ends_then_given_up(world):
    # Given a ResponseURL where nothing listens
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())
    event["ResponseURL"] = f"https://127.0.0.1:{dead_port}/cloudformation-responses/x?sig=1"
    started = world.clock.now()

    # When the resource is created
    world.lambda_.invoke(event)

    # Then the provider retried with backoff and stopped inside the invocation instead of
    # looping forever
    spent = world.clock.now() - started
    assert 0 < spent < world.lambda_.timeout_seconds
    assert world.app.helper.settlement is Settlement.ANSWERED
    # (CloudFormation, having heard nothing, deletes with an ID of its own after its timeout)
    deleted = world.cloudformation.delete(
        LOGICAL_ID, "churn-model-ChurnEndpoint-X1", base_properties()
    )
    assert deleted.status == "SUCCESS"
    assert nothing_left(world)


def test_delivery_does_not_retry_a_refusal_that_will_not_change(world):
    # Given a URL S3 refuses for good (expired signature: 403), and one that fails with 500
    class Status403:
        def __init__(self) -> None:
            self.attempts = 0

        def __call__(self, url: str, payload: bytes, timeout: float) -> tuple[bool, str]:
            self.attempts += 1
            return False, "HTTP 403"

    refusal = Status403()
    delivery = ResponseDelivery(clock=world.clock.now, sleep=world.clock.sleep)
    delivery._attempt = refusal  # type: ignore[method-assign]

    # When an answer is delivered, Then one attempt was made and the delivery reports failure
    assert delivery.deliver("https://s3.local/x", {"Status": "SUCCESS"}, 60) is False
    assert refusal.attempts == 1


# --- crhelper's timer ---------------------------------------------------------------------------


def fire_timer() -> None:
    ManualTimer.armed[-1].callback()


def test_the_timer_answers_once_and_the_handler_answer_is_dropped(world):
    # Given a Create whose invocation runs out of time while CreateEndpoint is in flight
    world.faults.hooks["sagemaker.CreateEndpoint"] = fire_timer
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())

    # When the request runs to its end
    answers = send(world, event)

    # Then CloudFormation got the timer's FAILED only, naming the endpoint being made
    assert [a.status for a in answers] == ["FAILED"]
    assert "ran out of time" in answers[0].reason
    assert answers[0].physical_id.startswith(ENDPOINT_ARN_PREFIX)

    # And its rollback Delete removes what the still-running handler went on to make
    rollback = world.cloudformation.delete(LOGICAL_ID, answers[0].physical_id, base_properties())
    assert rollback.status == "SUCCESS"
    assert nothing_left(world)
    record("timer fires during CreateEndpoint", answers, world)


def test_the_timer_keeps_quiet_while_a_hand_off_is_in_flight(world):
    # Given a Create across short invocations, whose timer fires during the hand-off's Invoke
    world.lambda_.timeout_seconds = 100
    world.aws.simulator.settings.create_seconds = 120
    world.faults.hooks["lambda.Invoke"] = fire_timer
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())

    # When the request runs to its end
    answers = send(world, event)

    # Then the timer did fire during a hand-off, and the successor answered, alone
    assert "lambda.Invoke" not in world.faults.hooks
    assert [a.status for a in answers] == ["SUCCESS"], [a.reason for a in answers]
    record("timer fires during the hand-off", answers, world)


# --- invocations Lambda gave up on --------------------------------------------------------------


def destination_batch(request: dict[str, Any], condition: str, error: dict[str, str]) -> dict:
    """What the on-failure destination's SQS queue hands the provider."""
    record_body = {
        "version": "1.0",
        "requestContext": {
            "requestId": "lost",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:provider:$LATEST",
            "condition": condition,
            "approximateInvokeCount": 1,
        },
        "requestPayload": request,
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": error,
    }
    return {
        "Records": [{"messageId": "m-1", "eventSource": "aws:sqs", "body": json.dumps(record_body)}]
    }


def test_a_lost_hand_off_is_answered_failed_with_the_endpoint_and_its_rollback_cleans_up(world):
    # Given a Create that handed off, and its successor's invocation lost (dropped by Lambda)
    world.lambda_.timeout_seconds = 100
    world.aws.simulator.settings.create_seconds = 120
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())
    world.lambda_.invoke(event)
    lost = world.lambda_.queued.pop()
    assert PROGRESS_KEY in lost

    # When the on-failure destination's record reaches the provider
    outcome = world.app.handler(destination_batch(lost, "EventAgeExceeded", {}), _context(world))

    # Then CloudFormation got one FAILED naming the endpoint, and nothing is to be retried
    answers = world.collector.responses(event["RequestId"])
    assert [a.status for a in answers] == ["FAILED"]
    assert answers[0].physical_id.startswith(ENDPOINT_ARN_PREFIX)
    assert "never run" in answers[0].reason and len(answers[0].reason) <= 256
    assert outcome == {"batchItemFailures": []}

    # And the rollback Delete leaves nothing
    rollback = world.cloudformation.delete(LOGICAL_ID, answers[0].physical_id, base_properties())
    assert rollback.status == "SUCCESS"
    assert nothing_left(world)
    record("hand-off lost by Lambda", answers, world)


def test_a_crashed_first_delivery_of_an_update_keeps_its_physical_id(world):
    # Given CloudFormation's own delivery of an Update, crashed out of memory
    event = world.cloudformation.request(
        "Update",
        LOGICAL_ID,
        base_properties(),
        old_properties=base_properties(),
        physical_id=f"{ENDPOINT_ARN_PREFIX}churn",
    )
    crash = {"errorType": "Runtime.ExitError", "errorMessage": "signal: killed"}

    # When its destination record arrives
    world.app.handler(destination_batch(event, "RetriesExhausted", crash), _context(world))

    # Then it is answered FAILED with its own physical ID and what happened
    answers = world.collector.responses(event["RequestId"])
    assert [(a.status, a.physical_id) for a in answers] == [("FAILED", event["PhysicalResourceId"])]
    assert "crashed (Runtime.ExitError signal: killed)" in answers[0].reason
    record("first delivery crashed", answers, world)


def test_a_timed_out_invocation_is_not_answered_twice(world):
    # Given a request whose invocation timed out: its timer answered already
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())
    timeout = {"errorMessage": "2026-11-30T12:00:00Z abc Task timed out after 900.00 seconds"}

    # When its destination record arrives
    outcome = world.app.handler(
        destination_batch(event, "RetriesExhausted", timeout), _context(world)
    )

    # Then no second answer goes out
    assert world.collector.responses(event["RequestId"]) == []
    assert outcome == {"batchItemFailures": []}


def test_a_record_without_a_request_is_acknowledged_without_an_answer(world):
    # Given a destination record that is no Lambda invocation record
    batch = {"Records": [{"messageId": "m-1", "eventSource": "aws:sqs", "body": "not json"}]}

    # When it reaches the provider, Then it is dropped: there is no one to answer
    assert world.app.handler(batch, _context(world)) == {"batchItemFailures": []}


def test_an_undeliverable_answer_goes_back_to_the_queue(world):
    # Given a lost request whose ResponseURL refuses every PUT for now
    event = world.cloudformation.request("Delete", LOGICAL_ID, base_properties(), physical_id="x")
    world.collector.inject(*["500"] * 200)

    # When its destination record arrives
    outcome = world.app.handler(destination_batch(event, "EventAgeExceeded", {}), _context(world))

    # Then the record is reported failed, so SQS delivers it again (then to its DLQ and alarm)
    assert outcome == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}


def _context(world: FaultWorld) -> Any:
    return ClockedContext("provider", world.lambda_.function_arn, 60, clock=world.clock)


# --- hostile ResourceProperties -----------------------------------------------------------------


@pytest.mark.parametrize("properties", [None, ["a", "list"], "a string", 7])
def test_properties_that_are_no_map_fail_clearly_and_change_nothing(world, properties):
    # Given a Create and an Update whose ResourceProperties are not a map
    create = world.cloudformation.request("Create", LOGICAL_ID, {})
    create["ResourceProperties"] = properties
    update = world.cloudformation.request(
        "Update", LOGICAL_ID, {}, old_properties=base_properties(), physical_id="x"
    )
    update["ResourceProperties"] = properties

    # When they are sent
    answers = send(world, create) + send(world, update)

    # Then each is FAILED saying what is wrong, and nothing was called that changes anything
    assert [a.status for a in answers] == ["FAILED", "FAILED"]
    for answer in answers:
        assert "ResourceProperties: must be a map" in answer.reason
    assert answers[1].physical_id == "x"
    assert not {"CreateModel", "CreateEndpoint"} & set(world.aws.simulator.operations())

    # And a Delete with such properties still succeeds
    delete = world.cloudformation.request("Delete", LOGICAL_ID, {}, physical_id="x")
    delete["ResourceProperties"] = properties
    assert [a.status for a in send(world, delete)] == ["SUCCESS"]


# --- invocations with little time ---------------------------------------------------------------


def test_invocations_shorter_than_the_hand_off_margin_still_make_progress(world):
    # Given invocations of 50 s, less than the 60 s hand-off margin, and a 2-minute creation
    world.lambda_.timeout_seconds = 50
    world.aws.simulator.settings.create_seconds = 120
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())

    # When the resource is created
    answers = send(world, event)

    # Then every invocation checked once before handing off, and the request succeeded
    assert [a.status for a in answers] == ["SUCCESS"], [a.reason for a in answers]
    describes = world.faults.calls.count("sagemaker.DescribeEndpoint")
    assert world.lambda_.invocations - 1 <= describes
    record("invocations shorter than the margin", answers, world)


def test_no_hand_off_past_the_deadline(world):
    # Given a ServiceTimeout of 2 minutes, invocations of 50 s and a 10-minute creation
    world.lambda_.timeout_seconds = 50
    world.aws.simulator.settings.create_seconds = 600
    props = base_properties()
    props["ServiceTimeout"] = "120"
    event = world.cloudformation.request("Create", LOGICAL_ID, props)
    started = world.clock.now()

    # When the resource is created
    answers = send(world, event)

    # Then FAILED arrives inside the ServiceTimeout, and nothing is left scheduled
    assert [a.status for a in answers] == ["FAILED"]
    assert "timed out" in answers[0].reason
    assert world.clock.now() - started < 120
    assert world.lambda_.queued == []
    record("deadline across hand-offs", answers, world)
