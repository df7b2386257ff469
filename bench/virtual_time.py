"""Simulated time for many threads at once, so that hundreds of concurrent lifecycles run on two
cores in seconds and take the same path every run.

Exactly one thread runs at a time. Time stands still while it runs (its AWS calls, real HTTP to
local AWS, take no simulated time) and moves only when it sleeps: to the earliest wake-up of
all sleeping threads, whose thread runs next. Everything that waits must wait here: the
provider (its clock and sleep are injected), Lambda's countdown (`localaws.clock.ClockedLambda`),
the simulator's clock, and botocore's own retry backoff and adaptive rate limiter, which
`botocore_on` points at this clock for as long as it is in force.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore import endpoint
from botocore.exceptions import CapacityNotAvailableError
from botocore.retries import bucket

from localaws.clock import SIMULATED_START

# The shortest wait for a token: at epoch times a float cannot tell apart instants closer than a
# microsecond, so a shorter wait would not move the clock (nor does a real sleep last less).
SHORTEST_WAIT = 0.001


class VirtualTime:
    def __init__(self, start: float = SIMULATED_START) -> None:
        self._now = start
        self._lock = threading.Lock()
        # (wake-up time, order of arrival, the sleeper's turn): earliest first, ties in order.
        self._sleepers: list[tuple[float, int, threading.Event]] = []
        self._order = itertools.count()
        self._running = 0
        self._finished = threading.Event()

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        """Gives the turn to the earliest sleeper (this thread, if it wakes first)."""
        turn = self._enqueue(self._now + max(seconds, 0.0))
        with self._lock:
            self._pass_turn()
        turn.wait()

    def run(self, targets: list[Callable[[], None]], real_time_limit: float) -> bool:
        """Runs each target on a thread of its own, all starting now; False if they did not
        all finish within `real_time_limit` real seconds."""
        self._running = len(targets)
        self._finished.clear()
        for target in targets:
            turn = self._enqueue(self._now)
            threading.Thread(target=self._body, args=(turn, target), daemon=True).start()
        with self._lock:
            self._pass_turn()
        return self._finished.wait(real_time_limit)

    def _enqueue(self, wake: float) -> threading.Event:
        turn = threading.Event()
        with self._lock:
            heapq.heappush(self._sleepers, (wake, next(self._order), turn))
        return turn

    def _body(self, turn: threading.Event, target: Callable[[], None]) -> None:
        turn.wait()
        try:
            target()
        finally:
            with self._lock:
                self._running -= 1
                if self._running:
                    self._pass_turn()
                else:
                    self._finished.set()

    def _pass_turn(self) -> None:
        wake, _, turn = heapq.heappop(self._sleepers)
        self._now = max(self._now, wake)
        turn.set()


@contextmanager
def botocore_on(clock: VirtualTime) -> Iterator[None]:
    """botocore's retry backoff and adaptive rate limiter (as the provider's clients are
    configured: adaptive mode, 10 attempts) waiting on `clock`. Clients built meanwhile keep
    the deployed configuration; only where they wait changes."""
    saved = (endpoint.time, bucket.Clock.sleep, bucket.Clock.current_time)
    saved_acquire = bucket.TokenBucket.acquire
    endpoint.time = types.SimpleNamespace(sleep=clock.sleep)  # type: ignore[assignment]
    bucket.Clock.sleep = lambda self, amount: clock.sleep(amount)  # type: ignore[method-assign]
    bucket.Clock.current_time = lambda self: clock.now()  # type: ignore[method-assign]
    bucket.TokenBucket.acquire = _acquire_on(clock)  # type: ignore[method-assign]
    try:
        yield
    finally:
        endpoint.time, bucket.Clock.sleep, bucket.Clock.current_time = saved  # type: ignore[method-assign]
        bucket.TokenBucket.acquire = saved_acquire  # type: ignore[method-assign]


def _acquire_on(clock: VirtualTime) -> Callable[..., bool]:
    """TokenBucket.acquire, sleeping on `clock` (botocore waits on a condition variable, in
    real time) outside the bucket's lock."""

    def acquire(self: Any, amount: int = 1, block: bool = True) -> bool:
        while True:
            with self._new_fill_rate_condition:
                self._refill()
                if amount <= self._current_capacity:
                    self._current_capacity -= amount
                    return True
                if not block:
                    raise CapacityNotAvailableError()
                wait = self._sleep_amount(amount)
            clock.sleep(max(wait, SHORTEST_WAIT))

    return acquire
