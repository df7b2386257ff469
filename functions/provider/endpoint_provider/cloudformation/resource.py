"""crhelper's CfnResource, continuing long waits in a fresh invocation instead of a schedule,
answering each request exactly once, and delivering that answer reliably.

crhelper polls through an EventBridge rule: at least a minute between polls, no deadline, an
8 KB cap on the event, and a rule left behind when a poll times out. Here a request that
outlives its invocation re-invokes the function once, asynchronously, and the current
invocation answers nothing.

crhelper's timer sends FAILED shortly before Lambda's timeout without stopping the handler, so
the handler may answer too; and its sender trusts a 5xx, loops forever on a refused connection
and has no socket timeout. Here the first of handler, hand-off and timer to settle the request
wins and the others stay silent, and `ResponseDelivery` sends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import Enum
from typing import Any, Protocol

from aws_lambda_powertools.utilities.typing import LambdaContext
from crhelper import CfnResource

from endpoint_common.observability import logger
from endpoint_provider.cloudformation.delivery import ResponseDelivery
from endpoint_provider.cloudformation.reasons import reason_for_cloudformation

# The timer fires this long before Lambda's timeout (a tenth of short invocations), leaving
# the delivery time for a few attempts.
TIMER_RESERVE_SECONDS = 5.0
# Delivery stops this long before Lambda's timeout, so the invocation ends on its own.
DELIVERY_RESERVE_SECONDS = 0.2
CRHELPER_LOGGERS = ("crhelper", "crhelper.resource_helper", "crhelper.utils", "crhelper.log_helper")


class Settlement(Enum):
    OPEN = "open"
    HANDING_OFF = "handing off"
    HANDED_OFF = "handed off"
    ANSWERED = "answered"


class _InfoAndAbove(logging.Filter):
    """crhelper logs the whole event, presigned ResponseURL included, at DEBUG; Powertools
    copies its own level onto crhelper's loggers, so POWERTOOLS_LOG_LEVEL=DEBUG would let it
    through. A filter holds whatever level anyone sets."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.INFO


class Timer(Protocol):
    """What the timer factory builds: threading.Timer, or a test's manual timer."""

    daemon: bool

    def start(self) -> None: ...

    def cancel(self) -> None: ...


class ContinuableResource(CfnResource):
    # Set by crhelper's __call__; its stubs leave its private attributes out.
    _context: LambdaContext

    def __init__(
        self,
        delivery: ResponseDelivery | None = None,
        timer_factory: Callable[[float, Callable[[], None]], Timer] = threading.Timer,
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        for name in CRHELPER_LOGGERS:
            logging.getLogger(name).addFilter(_InfoAndAbove())
        self.delivery = delivery or ResponseDelivery()
        self.timer_factory = timer_factory
        self._lock = threading.Lock()
        self._settlement = Settlement.OPEN

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> None:
        with self._lock:
            self._settlement = Settlement.OPEN
        # crhelper sets these only once the event proved well formed; a malformed one must not
        # be answered at the previous request's URL.
        self._event = event
        self._response_url = event.get("ResponseURL", "")
        super().__call__(event, context)

    @property
    def settlement(self) -> Settlement:
        return self._settlement

    def hand_off(self, schedule: Callable[[], None]) -> None:
        """Runs `schedule` (the successor's invocation) unless an answer went out already; this
        invocation then sends no response. If `schedule` raises, the request is open again and
        the exception becomes its FAILED answer."""
        with self._lock:
            if self._settlement is not Settlement.OPEN:
                logger.warning("hand-off skipped: settled", settlement=self._settlement.value)
                return
            self._settlement = Settlement.HANDING_OFF
        try:
            schedule()
        except Exception:
            with self._lock:
                self._settlement = Settlement.OPEN
            raise
        with self._lock:
            self._settlement = Settlement.HANDED_OFF

    def fail_as(self, physical_id: str | None) -> None:
        """The physical ID of any FAILED response from here on: a raised exception, the timer."""
        self.PhysicalResourceId = physical_id or ""

    # crhelper answers only when no polling is in progress; a hand-off is ours.
    def _poll_enabled(self) -> bool:
        return self._settlement is Settlement.HANDED_OFF

    def _polling_init(self, event: dict[str, Any]) -> None:
        """The successor invocation is already scheduled; nothing to set up or tear down."""

    def _set_timeout(self) -> None:
        remaining = self._context.get_remaining_time_in_millis() / 1000
        reserve = min(TIMER_RESERVE_SECONDS, remaining / 10)
        self._timer = self.timer_factory(max(remaining - reserve, 0.0), self._timeout)
        self._timer.daemon = True
        self._timer.start()

    def _timeout(self) -> None:
        logger.error("invocation about to time out, answering FAILED")
        self._send(
            "FAILED",
            "the provider's invocation ran out of time waiting for an AWS call; the request "
            "was not finished: retry the stack operation",
        )

    def _send(
        self, status: str | None = None, reason: str = "", send_response: object = None
    ) -> None:
        """Sends this request's one answer; any later attempt to answer is dropped."""
        with self._lock:
            if self._settlement is not Settlement.OPEN:
                logger.warning(
                    "second answer dropped", settlement=self._settlement.value, status=status
                )
                return
            self._settlement = Settlement.ANSWERED
        if not self._response_url:
            logger.error("no ResponseURL in the event: nobody to answer")
            return
        body = self._response_body(status or self.Status, reason if status else self.Reason)
        remaining = self._context.get_remaining_time_in_millis() / 1000
        self.delivery.deliver(self._response_url, body, remaining - DELIVERY_RESERVE_SECONDS)

    def _response_body(self, status: str, reason: str) -> dict[str, Any]:
        physical_id = (
            self.PhysicalResourceId
            or self._event.get("PhysicalResourceId")
            or self.generate_physical_id(self._event)
        )
        return {
            "Status": status,
            "PhysicalResourceId": str(physical_id),
            "StackId": self.StackId,
            "RequestId": self.RequestId,
            "LogicalResourceId": self.LogicalResourceId,
            # Already within bounds when it comes from the provider; crhelper's own failures
            # (an import error, a malformed event) are not.
            "Reason": reason_for_cloudformation(str(reason), None) if reason else "",
            "Data": self.Data,
            "NoEcho": self.NoEcho,
        }
