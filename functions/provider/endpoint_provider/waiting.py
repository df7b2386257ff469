"""Waiting as data, in the spirit of Terraform's StateChangeConf: a check (the refresh
function) returns the target it reached, or `Waiting` with what it still waits for; a
`Waiter` calls it on the request's pace until the target, the hand-off, or the deadline.
A check raises for a state it must never wait out (Failed, rolled back, not ours).

Only the deadline ends a wait: a look that fails transiently (throttling, a 5xx, a connection
error, a timeout) is a reason to look again later, less often (`transient.Pace`). The Waiter
also runs each step of a request (`run_step`), so that a transient failure anywhere in a step,
a throttled UpdateEndpoint say, is retried on the same pace, once, for every resource type.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from endpoint_common.observability import logger
from endpoint_provider.failures import timed_out
from endpoint_provider.request import Budget, Outcome, Pending, Progress, ProvisioningFailed
from endpoint_provider.transient import Pace, is_transient

_Target = TypeVar("_Target")


@dataclass(frozen=True)
class Waiting:
    """Not there yet; `reason` says what is awaited, and ends the timeout's message."""

    reason: str


class Waiter:
    def __init__(
        self,
        interval: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
        draw: Callable[[], float] = random.random,
    ):
        """`draw` is the jitter's randomness, uniform in [0, 1): the module's generator by
        default, so that a test seeds it with random.seed."""
        self._pace = Pace(interval)
        self._clock = clock
        self._sleep = sleep
        self._draw = draw

    def wait(
        self, check: Callable[[], _Target | Waiting], progress: Progress, budget: Budget
    ) -> _Target | Pending:
        """Calls `check` on the request's pace until it returns its target, the invocation must
        hand off (Pending), or the deadline passes (ProvisioningFailed)."""
        if budget.latest is not None:
            # The step's earlier waits and retries learned how the account answers.
            progress = replace(progress, account=budget.latest.account)
        pause = self._pause(progress, awaited=None) if progress.last_poll else 0.0
        checked = False
        while True:
            # Every invocation checks at least once, so that one started with less than
            # HandoffMarginSeconds left makes progress instead of handing off forever; early,
            # if it cannot even wait out the pause.
            if pause > 0:
                if budget.allows_wait(pause) or (not checked and budget.fits(pause)):
                    self._sleep(pause)
                elif checked:
                    return Pending(replace(progress, invocation=progress.invocation + 1))
            result, progress = self._look(check, progress)
            budget.latest, checked = progress, True
            if not isinstance(result, Waiting):
                return result
            pause = self._pause(progress, awaited=result.reason)

    def run_step(
        self, step: Callable[[Progress], Outcome], progress: Progress, budget: Budget
    ) -> Outcome:
        """Runs one step of a request. A transient failure that escapes it is retried, whole,
        after a pause on the request's pace, from where the step last stood (its latest wait):
        stages are idempotent, so a retry adopts what the failed attempt made, and one that had
        moved on to awaiting goes on awaiting instead of changing the resource again."""
        budget.latest = progress
        while True:
            try:
                return step(budget.latest)
            except Exception as error:
                if not is_transient(error):
                    raise
                resume = self._failed(budget.latest, error)
            budget.latest = resume
            pause = self._pause(resume, awaited=None)
            if not budget.allows_wait(pause):
                return Pending(replace(resume, invocation=resume.invocation + 1))
            self._sleep(pause)

    def _look(
        self, check: Callable[[], _Target | Waiting], progress: Progress
    ) -> tuple[_Target | Waiting, Progress]:
        try:
            result = check()
        except Exception as error:
            if not is_transient(error):
                raise
            failed = self._failed(progress, error)
            return Waiting(str(failed.account.failing)), failed
        answered = self._pace.answered(progress.account)
        return result, replace(progress, last_poll=self._clock(), account=answered)

    def _failed(self, progress: Progress, error: Exception) -> Progress:
        account = self._pace.failed(progress.account, error)
        logger.info(
            "call failed transiently: looking again later",
            failure=account.failing,
            interval=account.interval,
            throttled=account.throttled,
        )
        return replace(progress, last_poll=self._clock(), account=account)

    def _pause(self, progress: Progress, awaited: str | None) -> float:
        """How long until the next look, on the request's pace; FAILED with what was `awaited`
        if the deadline comes first."""
        assert progress.last_poll is not None
        next_look = progress.last_poll + self._pace.pause(progress.account, self._draw())
        if next_look >= progress.deadline:
            raise ProvisioningFailed(timed_out(awaited, progress.account))
        return next_look - self._clock()
