"""The provider's real handler on a simulated clock (localaws/clock.py), as the fault suite and
the integration tests run it.

One clock drives what the provider waits on: its polls and sleeps, Lambda's remaining time,
the response delivery's backoff, crhelper's wait before answering a Delete, and botocore's
backoff between retries. Time passes only when something waits, so a 15-minute invocation or a
20-minute deployment takes milliseconds, and with the poll jitter seeded (tests/conftest.py)
every run takes the same path, whatever the machine's speed. crhelper's timeout timer is armed
but never fires by itself: a test fires it (`ManualTimer`).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import botocore.endpoint
import pytest

from endpoint_provider.cloudformation.delivery import DeliveryTiming, ResponseDelivery
from localaws.clock import SimulatedClock
from localaws.functions import load_function, provider_environment

# Production's timings: the provider polls every 5 s and hands off 60 s before its 15-minute
# invocation ends.
POLL_INTERVAL = 5.0
HANDOFF_MARGIN = 60.0
LAMBDA_TIMEOUT = 900.0


class ManualTimer:
    """crhelper's timeout timer, fired by the test instead of by wall-clock time."""

    armed: ClassVar[list[ManualTimer]] = []

    def __init__(self, interval: float, callback: Callable[[], None]):
        self.interval = interval
        self.callback = callback
        self.cancelled = False
        self.daemon = True

    def start(self) -> None:
        ManualTimer.armed.append(self)

    def cancel(self) -> None:
        self.cancelled = True


@contextmanager
def loaded_provider(endpoint_url: str, ca_file: str, **environment: Any) -> Iterator[Any]:
    """The provider's module, loaded as Lambda loads it, in an environment with production's
    poll interval and hand-off margin (and `environment`'s other settings, e.g. log_level)."""
    variables = provider_environment(
        endpoint_url,
        ca_file,
        poll_interval=POLL_INTERVAL,
        handoff_margin=HANDOFF_MARGIN,
        **environment,
    )
    with pytest.MonkeyPatch.context() as patch:
        for key, value in variables.items():
            patch.setenv(key, value)
        yield load_function("provider")


def put_on_clock(app: Any, clock: SimulatedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Makes everything the provider `app` waits on wait on `clock`, for one test."""
    provisioners = app.build_provisioners(clock=clock.now, sleep=clock.sleep)
    monkeypatch.setattr(app, "provisioners", lambda: provisioners)
    monkeypatch.setattr(
        app.helper,
        "delivery",
        ResponseDelivery(DeliveryTiming(), clock=clock.now, sleep=clock.sleep),
    )
    monkeypatch.setattr(app.helper, "timer_factory", ManualTimer)
    ManualTimer.armed.clear()
    # crhelper's pause before answering a Delete (its default is two minutes) binds time.sleep
    # as a default argument.
    monkeypatch.setattr(
        app.helper,
        "_wait_for_cwlogs",
        functools.partial(type(app.helper)._wait_for_cwlogs, app.helper, sleep=clock.sleep),
    )
    # botocore sleeps between a throttled call and its retry in botocore.endpoint, the one
    # place it waits; the simulator refills its throttling buckets on the same clock.
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=clock.sleep))
