"""Waiting as data, in the spirit of Terraform's StateChangeConf: a check (the refresh
function) returns the target it reached, or `Waiting` with what it still waits for; a
`Waiter` calls it every poll interval until the target, the hand-off, or the deadline.
A check raises for a state it must never wait out (Failed, rolled back, not ours).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from endpoint_provider.request import Budget, Pending, Progress, ProvisioningFailed

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
    ):
        self._interval = interval
        self._clock = clock
        self._sleep = sleep

    def wait(
        self, check: Callable[[], _Target | Waiting], progress: Progress, budget: Budget
    ) -> _Target | Pending:
        """Calls `check` every poll interval until it returns its target, the invocation must
        hand off (Pending), or the deadline passes (ProvisioningFailed)."""
        interval = self._interval
        pause = progress.last_poll + interval - self._clock() if progress.last_poll else 0
        checked = False
        while True:
            if pause > 0:
                if self._clock() + pause >= progress.deadline:
                    raise ProvisioningFailed(
                        "timed out before the next check (raise ServiceTimeout, at most 3600 s)"
                    )
                # Every invocation checks at least once, so that one started with less than
                # HandoffMarginSeconds left makes progress instead of handing off forever;
                # early, if it cannot even wait out the interval.
                if budget.allows_wait(pause) or (not checked and budget.fits(pause)):
                    self._sleep(pause)
                elif checked:
                    return Pending(replace(progress, invocation=progress.invocation + 1))
            result = check()
            checked = True
            last_poll = self._clock()
            progress = replace(progress, last_poll=last_poll)
            if not isinstance(result, Waiting):
                return result
            if last_poll + interval >= progress.deadline:
                raise ProvisioningFailed(
                    f"timed out: {result.reason} (raise ServiceTimeout, at most 3600 s, or check "
                    "the endpoint in the SageMaker console)"
                )
            pause = interval
