"""The Waiter calls a check until its target, a hand-off or the deadline, on an injected clock."""

from __future__ import annotations

import pytest

from endpoint_provider.request import Budget, Pending, Progress, ProvisioningFailed
from endpoint_provider.waiting import Waiter, Waiting

INTERVAL = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def statuses(*answers):
    """A check answering each of `answers` in turn: a str is still waiting, anything else the
    target."""
    remaining = list(answers)

    def check():
        answer = remaining.pop(0)
        return Waiting(answer) if isinstance(answer, str) else answer

    return check


def test_the_target_comes_back_after_waiting_out_the_pending_states():
    # Given a check that waits twice, then reaches its target
    clock = Clock()
    waiter = Waiter(INTERVAL, clock.time, clock.sleep)
    check = statuses("Creating", "Creating", {"EndpointStatus": "InService"})

    # When waited for with time to spare
    reached = waiter.wait(check, Progress(deadline=clock.now + 3600), Budget(lambda: 900, 60))

    # Then the target is returned, one interval apart each time
    assert reached == {"EndpointStatus": "InService"}
    assert clock.slept == [INTERVAL, INTERVAL]


def test_an_invocation_short_of_time_hands_off_with_its_last_poll():
    # Given an invocation with less than the hand-off margin left after the first check
    clock = Clock()
    waiter = Waiter(INTERVAL, clock.time, clock.sleep)
    progress = Progress(deadline=clock.now + 3600)

    # When the check is still waiting
    pending = waiter.wait(statuses("Updating"), progress, Budget(lambda: 70, 60))

    # Then the request goes on in the next invocation, which keeps the poll interval
    assert pending == Pending(Progress(deadline=progress.deadline, invocation=2, last_poll=1000.0))
    assert clock.slept == []


def test_the_deadline_fails_the_request_naming_what_it_waited_for():
    # Given a deadline inside the next interval
    clock = Clock()
    waiter = Waiter(INTERVAL, clock.time, clock.sleep)

    # When the check is still waiting
    with pytest.raises(ProvisioningFailed) as failure:
        waiter.wait(
            statuses("endpoint churn is Creating"),
            Progress(deadline=clock.now + INTERVAL / 2),
            Budget(lambda: 900, 60),
        )

    # Then the reason says what never happened
    assert str(failure.value).startswith("timed out: endpoint churn is Creating")
