"""The Waiter calls a check until its target, a hand-off or the deadline, on an injected clock;
it looks again, less often, when a look fails transiently, and retries a step that does."""

from __future__ import annotations

import random

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from endpoint_provider.request import (
    APPLY,
    AWAIT,
    AccountPace,
    Budget,
    Completed,
    Pending,
    Progress,
    ProvisioningFailed,
)
from endpoint_provider.transient import JITTER, MAX_SLOWDOWN, RECOVERY
from endpoint_provider.waiting import Waiter, Waiting

INTERVAL = 30.0
# botocore gives up on a call after 10 attempts; each failed look below is one such call.
LONGER_THAN_BOTOCORE_RETRIES = 6


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def unstretched() -> float:
    """A jitter draw that leaves every pause at the interval itself."""
    return 0.0


def waiter_on(clock: Clock, draw=unstretched) -> Waiter:
    return Waiter(INTERVAL, clock.time, clock.sleep, draw)


def throttled(operation: str = "DescribeEndpoint") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        operation,
    )


def refused(operation: str = "DescribeEndpoint") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "AccessDeniedException", "Message": "not authorized"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        operation,
    )


def statuses(*answers):
    """A check answering each of `answers` in turn: a str is still waiting, an exception is
    raised, anything else is the target."""
    remaining = list(answers)

    def check():
        answer = remaining.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return Waiting(answer) if isinstance(answer, str) else answer

    return check


def test_the_target_comes_back_after_waiting_out_the_pending_states():
    # Given a check that waits twice, then reaches its target
    clock = Clock()
    check = statuses("Creating", "Creating", {"EndpointStatus": "InService"})

    # When waited for with time to spare
    reached = waiter_on(clock).wait(
        check, Progress(deadline=clock.now + 3600), Budget(lambda: 900, 60)
    )

    # Then the target is returned, one interval apart each time
    assert reached == {"EndpointStatus": "InService"}
    assert clock.slept == [INTERVAL, INTERVAL]


def test_an_invocation_short_of_time_hands_off_with_its_last_poll():
    # Given an invocation with less than the hand-off margin left after the first check
    clock = Clock()
    progress = Progress(deadline=clock.now + 3600)

    # When the check is still waiting
    pending = waiter_on(clock).wait(statuses("Updating"), progress, Budget(lambda: 70, 60))

    # Then the request goes on in the next invocation, which keeps the poll interval
    assert pending == Pending(Progress(deadline=progress.deadline, invocation=2, last_poll=1000.0))
    assert clock.slept == []


def test_the_deadline_fails_the_request_naming_what_it_waited_for():
    # Given a deadline inside the next interval
    clock = Clock()

    # When the check is still waiting
    with pytest.raises(ProvisioningFailed) as failure:
        waiter_on(clock).wait(
            statuses("endpoint churn is Creating"),
            Progress(deadline=clock.now + INTERVAL / 2),
            Budget(lambda: 900, 60),
        )

    # Then the reason says what never happened
    assert str(failure.value).startswith("timed out: endpoint churn is Creating")
    assert "rate limit" not in str(failure.value)


def test_pauses_are_stretched_at_random_by_the_seeded_draw_never_shortened():
    # Given a waiter whose jitter draws from a seeded generator
    clock = Clock()
    draws = random.Random(18)
    check = statuses(*["Creating"] * 20, {"EndpointStatus": "InService"})

    # When it waits out twenty looks
    waiter_on(clock, draws.random).wait(
        check, Progress(deadline=clock.now + 3600), Budget(lambda: 900, 60)
    )

    # Then each pause is the interval stretched by up to the jitter, never less than the
    # interval, all different, and the same ones every run
    assert all(INTERVAL <= pause < INTERVAL * (1 + JITTER) for pause in clock.slept)
    assert len(set(clock.slept)) == 20
    replay = random.Random(18)
    expected = [INTERVAL * (1 + JITTER * replay.random()) for _ in range(20)]
    assert clock.slept == pytest.approx(expected)


def test_a_wait_throttled_for_longer_than_botocores_retries_still_reaches_its_target():
    # Given a check whose DescribeEndpoint is throttled, after botocore's own retries, several
    # times in a row
    clock = Clock()
    budget = Budget(lambda: 900, 60)
    throttles = [throttled() for _ in range(LONGER_THAN_BOTOCORE_RETRIES)]
    check = statuses("Creating", *throttles, {"EndpointStatus": "InService"})

    # When waited for with time to spare
    reached = waiter_on(clock).wait(check, Progress(deadline=clock.now + 3600), budget)

    # Then the target is reached, each throttled look followed by twice as long a pause, up to
    # the slowest pace
    assert reached == {"EndpointStatus": "InService"}
    ceiling = INTERVAL * MAX_SLOWDOWN
    assert clock.slept == [INTERVAL] + [
        min(INTERVAL * 2**n, ceiling) for n in range(1, LONGER_THAN_BOTOCORE_RETRIES + 1)
    ]
    # And the step knows what the account did to it
    assert budget.latest is not None
    assert budget.latest.account.throttled == LONGER_THAN_BOTOCORE_RETRIES
    assert budget.latest.account.failing is None


def test_the_pace_comes_back_gradually_once_calls_go_through():
    # Given a look throttled twice, then the endpoint still Creating for a while
    clock = Clock()
    check = statuses(throttled(), throttled(), *["Creating"] * 5, {"EndpointStatus": "InService"})

    # When waited for
    waiter_on(clock).wait(check, Progress(deadline=clock.now + 3600), Budget(lambda: 900, 60))

    # Then the pauses shrink back towards the interval a step at a time, never below it
    after_throttles = clock.slept[2:]
    assert after_throttles == sorted(after_throttles, reverse=True)
    assert INTERVAL < after_throttles[-1] < after_throttles[0] < 4 * INTERVAL


@pytest.mark.parametrize(
    "failure",
    [
        ClientError(
            {"Error": {"Code": "InternalFailure"}, "ResponseMetadata": {"HTTPStatusCode": 500}},
            "DescribeEndpoint",
        ),
        EndpointConnectionError(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com"),
    ],
    ids=["5xx", "connection"],
)
def test_a_look_that_fails_transiently_is_looked_again_without_counting_a_throttle(failure):
    # Given a look that fails with a 5xx or with AWS out of reach, then the target
    clock = Clock()
    budget = Budget(lambda: 900, 60)

    # When waited for
    reached = waiter_on(clock).wait(
        statuses(failure, {"EndpointStatus": "InService"}),
        Progress(deadline=clock.now + 3600),
        budget,
    )

    # Then the target is reached after a longer pause, and no call counts as throttled
    assert reached == {"EndpointStatus": "InService"}
    assert clock.slept == [2 * INTERVAL]
    assert budget.latest is not None and budget.latest.account.throttled == 0


def test_a_look_that_is_refused_fails_at_once():
    # Given a look that AWS refuses (no permission): looking again would be refused again
    clock = Clock()

    # When waited for, Then the refusal ends the wait, without a pause
    with pytest.raises(ClientError):
        waiter_on(clock).wait(
            statuses(refused()), Progress(deadline=clock.now + 3600), Budget(lambda: 900, 60)
        )
    assert clock.slept == []


def test_a_wait_throttled_past_its_deadline_fails_naming_the_rate_limit():
    # Given an account that throttles every look, and a deadline ten minutes away
    clock = Clock()
    forever = statuses(*[throttled() for _ in range(100)])

    # When waited for
    with pytest.raises(ProvisioningFailed) as failure:
        waiter_on(clock).wait(forever, Progress(deadline=clock.now + 600), Budget(lambda: 900, 60))

    # Then FAILED comes before the deadline, blaming the account's rate limit, with the count
    reason = str(failure.value)
    assert clock.now < 1000.0 + 600
    assert reason.startswith("timed out: DescribeEndpoint throttled; the account's SageMaker")
    looks = len(clock.slept) + 1
    assert f"rate limit throttled {looks} calls of this request" in reason
    assert "deploy fewer stacks at once, or raise the SageMaker API quotas" in reason


def test_a_hand_off_carries_the_pace_and_the_count_to_the_next_invocation():
    # Given an invocation that runs short of time while its looks are throttled
    clock = Clock()
    remaining = [900.0]
    budget = Budget(lambda: remaining[0] - (clock.now - 1000.0), 60)
    progress = Progress(deadline=clock.now + 3600)
    remaining[0] = 60 + INTERVAL * 3 + 1

    # When it hands off
    pending = waiter_on(clock).wait(
        statuses(throttled(), throttled(), throttled()), progress, budget
    )

    # Then the next invocation's progress, serialised as a hand-off carries it, holds the pace
    assert isinstance(pending, Pending)
    carried = Progress.from_dict(pending.progress.to_dict())
    assert carried.account == AccountPace(
        interval=INTERVAL * 4, throttled=2, failing="DescribeEndpoint throttled"
    )
    assert carried.invocation == 2

    # And its first look waits the slowed pace out, counting on from there
    fresh = Clock()
    fresh.now = clock.now
    resumed = waiter_on(fresh).wait(
        statuses({"EndpointStatus": "InService"}), carried, Budget(lambda: 900, 60)
    )
    assert resumed == {"EndpointStatus": "InService"}
    assert fresh.slept == [pytest.approx(carried.last_poll + INTERVAL * 4 - clock.now)]


# --- a step retried whole ------------------------------------------------------------------------


class Step:
    """A step that awaits (first wait at `stage`), then applies a change that the account
    throttles `throttles` times; each attempt records the progress it started from."""

    def __init__(self, waiter: Waiter, throttles: int, budget: Budget):
        self.waiter = waiter
        self.throttles = throttles
        self.budget = budget
        self.started_from: list[Progress] = []

    def __call__(self, progress: Progress) -> Completed:
        self.started_from.append(progress)
        awaiting = Progress(deadline=progress.deadline, stage=AWAIT, last_poll=None)
        self.waiter.wait(statuses({"EndpointStatus": "InService"}), awaiting, self.budget)
        if self.throttles:
            self.throttles -= 1
            raise throttled("UpdateEndpoint")
        return Completed("arn")


def test_a_throttled_change_is_retried_whole_from_where_its_step_last_stood():
    # Given a step whose UpdateEndpoint is throttled twice, after an await
    clock = Clock()
    budget = Budget(lambda: 900, 60)
    step = Step(waiter_on(clock), throttles=2, budget=budget)

    # When the waiter runs it
    outcome = step.waiter.run_step(step, Progress(deadline=clock.now + 3600), budget)

    # Then it succeeds on the third attempt, and the retries resume from the step's latest wait
    # (AWAIT), never from its start (APPLY), with the throttles counted; each throttle doubles
    # the pace that the look in between had brought down a step
    assert outcome == Completed("arn")
    assert [progress.stage for progress in step.started_from] == [APPLY, AWAIT, AWAIT]
    assert clock.slept == [2 * INTERVAL, 2 * (2 * INTERVAL * RECOVERY)]
    assert step.started_from[-1].account.throttled == 2


def test_a_change_throttled_past_the_deadline_fails_naming_the_rate_limit():
    # Given a step whose UpdateEndpoint the account always throttles
    clock = Clock()
    budget = Budget(lambda: 10_000, 60)
    step = Step(waiter_on(clock), throttles=1000, budget=budget)

    # When the waiter runs it
    with pytest.raises(ProvisioningFailed) as failure:
        step.waiter.run_step(step, Progress(deadline=clock.now + 900), budget)

    # Then FAILED comes before the deadline, blaming the account's rate limit
    assert clock.now < 1000.0 + 900
    assert str(failure.value).startswith("timed out: UpdateEndpoint throttled; the account's")
    assert f"throttled {len(step.started_from)} calls" in str(failure.value)


def test_a_step_retry_that_does_not_fit_the_invocation_hands_off():
    # Given an invocation with little more than the hand-off margin left
    clock = Clock()
    budget = Budget(lambda: 70, 60)
    step = Step(waiter_on(clock), throttles=1, budget=budget)

    # When its change is throttled
    outcome = step.waiter.run_step(step, Progress(deadline=clock.now + 3600), budget)

    # Then the next invocation retries it, at the slowed pace
    assert isinstance(outcome, Pending)
    assert outcome.progress.stage == AWAIT
    assert outcome.progress.invocation == 2
    assert outcome.progress.account.interval == 2 * INTERVAL
    assert outcome.progress.account.throttled == 1


def test_a_step_that_fails_for_good_is_not_retried():
    # Given a step that AWS refuses
    clock = Clock()

    def step(progress: Progress) -> Completed:
        raise refused("CreateEndpoint")

    # When the waiter runs it, Then the refusal comes back at once
    with pytest.raises(ClientError):
        waiter_on(clock).run_step(
            step, Progress(deadline=clock.now + 3600), Budget(lambda: 900, 60)
        )
    assert clock.slept == []
