"""crhelper's CfnResource, continuing long waits in a fresh invocation instead of a schedule.

crhelper polls through an EventBridge rule: at least a minute between polls, no deadline, an
8 KB cap on the event, and a rule left behind when a poll times out. Here a request that
outlives its invocation re-invokes the function once, asynchronously, and the current
invocation answers nothing, so exactly one response reaches CloudFormation and nothing stays
scheduled.
"""

from __future__ import annotations

from typing import Any

from crhelper import CfnResource


class ContinuableResource(CfnResource):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._handed_off = False

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        self._handed_off = False
        super().__call__(event, context)

    def hand_off(self) -> None:
        """This invocation scheduled its successor: send no response now."""
        self._handed_off = True

    def fail_as(self, physical_id: str | None) -> None:
        """The physical ID of the FAILED response the raised exception is about to produce."""
        self.PhysicalResourceId = physical_id or ""

    # crhelper answers only when no polling is in progress; a hand-off is ours.
    def _poll_enabled(self) -> bool:
        return self._handed_off

    def _polling_init(self, event: dict[str, Any]) -> None:
        """The successor invocation is already scheduled; nothing to set up or tear down."""
