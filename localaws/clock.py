"""Clocks for the local Lambda: real time for `make demo`, or simulated time that passes only
when someone waits, so a run takes the same path whatever the machine's speed."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from localaws.cloudformation import LocalLambda
from localaws.functions import LambdaContext

# A fixed start, so that simulated runs name the same times (log streams, deadlines) every time.
SIMULATED_START = 1_700_000_000.0


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class WallClock:
    """Real time: `make demo` shows how long each step takes."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class SimulatedClock:
    """Time that passes only when someone waits: the provider's polls, SageMaker's transitions
    and Lambda's countdown all read it, so a run does the same whatever the machine's speed."""

    def __init__(self, start: float = SIMULATED_START) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(seconds, 0.0)


@dataclass
class ClockedContext(LambdaContext):
    """Lambda's context, counting down on a clock."""

    clock: Clock = field(default_factory=WallClock)

    def __post_init__(self) -> None:
        self._started = self.clock.now()

    def get_remaining_time_in_millis(self) -> int:
        elapsed = self.clock.now() - self._started
        return max(int((self.timeout_seconds - elapsed) * 1000), 0)


class ClockedLambda(LocalLambda):
    """The local Lambda service, its invocations timed by a clock."""

    def __init__(
        self,
        handler: Callable[[dict[str, Any], Any], Any],
        function_name: str,
        timeout_seconds: float,
        clock: Clock,
    ):
        super().__init__(handler, function_name, timeout_seconds)
        self.clock = clock

    def now(self) -> float:
        return self.clock.now()

    def invoke(self, event: dict[str, Any]) -> None:
        self.invocations += 1
        context = ClockedContext(
            self.function_name, self.function_arn, self.timeout_seconds, clock=self.clock
        )
        self.handler(json.loads(json.dumps(event)), context)
