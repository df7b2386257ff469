"""The request contract between the CloudFormation edge and the provisioner: what a request
asks, how far it got, how long this invocation may wait, and how it ends.

Pure data: no crhelper, no event, no AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

APPLY = "apply"
AWAIT = "await"
DELETE = "delete"
DEFAULT_SERVICE_TIMEOUT = 3600
# What an invocation started with less than HandoffMarginSeconds keeps after its one wait:
# enough to check, hand off, and stay clear of crhelper's timer.
FIT_RESERVE_SECONDS = 10.0


@dataclass(frozen=True)
class ResourceRequest:
    """What the provisioner needs from a CloudFormation request, without its envelope."""

    request_type: str
    stack_id: str
    logical_id: str
    # As CloudFormation sent it: a map when the template is sane, but anything JSON can hold.
    properties: object
    old_properties: object = None
    physical_id: str | None = None
    # CloudFormation's ResourceType, which picks the provisioner (`Provisioners.for_type`).
    resource_type: str = ""


@dataclass(frozen=True)
class Progress:
    """Carried from one invocation to the next while a request is in flight."""

    deadline: float
    stage: str = APPLY
    invocation: int = 1
    failure_reason: str | None = None
    # When SageMaker was last asked, so that a fresh invocation keeps the poll interval.
    last_poll: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "Deadline": self.deadline,
            "Stage": self.stage,
            "Invocation": self.invocation,
            "FailureReason": self.failure_reason,
            "LastPoll": self.last_poll,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Progress:
        return cls(
            deadline=float(data["Deadline"]),
            stage=data["Stage"],
            invocation=int(data["Invocation"]),
            failure_reason=data.get("FailureReason"),
            last_poll=data.get("LastPoll"),
        )


State = TypeVar("State")


@dataclass(frozen=True)
class DesiredStates(Generic[State]):
    """A request's properties, parsed once at the door (`Provisioner.desired_states`), as the
    resource type's desired state."""

    # None when the properties do not parse; `problem` is why.
    new: State | None
    problem: Exception | None = None
    # An Update's old properties; None for other requests, or when they no longer parse.
    old: State | None = None
    # Read leniently, for what must go on when the properties do not parse (a Delete, the
    # deadline of a request that will fail): the wait's length, and the resource's name as
    # written (new, then old).
    service_timeout: int = DEFAULT_SERVICE_TIMEOUT
    names: tuple[str, ...] = ()

    def required_new(self) -> State:
        """The new desired state; raises what kept the properties from parsing."""
        if self.new is None:
            assert self.problem is not None
            raise self.problem
        return self.new


class Budget:
    """How long this invocation may keep polling before it must hand off."""

    def __init__(self, remaining_seconds: Callable[[], float], handoff_margin: float):
        self._remaining_seconds = remaining_seconds
        self._handoff_margin = handoff_margin

    def allows_wait(self, seconds: float) -> bool:
        return self._remaining_seconds() - seconds > self._handoff_margin

    def fits(self, seconds: float) -> bool:
        """Whether the invocation outlives a wait of `seconds` with some time to spare."""
        return self._remaining_seconds() - seconds > FIT_RESERVE_SECONDS


@dataclass(frozen=True)
class Completed:
    # None: crhelper's generated ID (a Delete or Update that came without one).
    physical_id: str | None
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failed:
    """Answered with the request's failure ID (`Provisioner.failure_id`)."""

    reason: str
    # Invalid properties, each "path: message", for the edge to fit into CloudFormation's reason.
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pending:
    progress: Progress


Outcome = Completed | Failed | Pending


class ProvisioningFailed(Exception):
    """Ends a request with FAILED; the message is what the user reads in the stack events."""


class Provisioner(Protocol):
    """What the edge asks of a resource type's provisioner (`provisioning.Provisioner`)."""

    def desired_states(self, request: ResourceRequest) -> DesiredStates[Any]: ...

    def failure_id(
        self, request: ResourceRequest, states: DesiredStates[Any] | None = None
    ) -> str | None: ...

    def start(
        self, request: ResourceRequest, states: DesiredStates[Any] | None = None
    ) -> Progress: ...

    def handle(
        self,
        request: ResourceRequest,
        progress: Progress,
        budget: Budget,
        states: DesiredStates[Any] | None = None,
    ) -> Outcome: ...


class Provisioners(Protocol):
    """The provisioner of each resource type the provider serves."""

    def for_type(self, resource_type: str | None) -> Provisioner: ...


class Continuation(Protocol):
    """Runs the rest of a request in a fresh invocation (`cloudformation.handoff`)."""

    def schedule(self, function_arn: str, event: dict[str, Any]) -> None: ...
