"""What every resource type's provisioner shares: the properties parsed once at the door, the
physical ID a failure answers with, the deadline inside CloudFormation's wait, and one step of
Create, Update or Delete with any failure turned into its reason.

Each resource type brings its room, a `Lifecycle` (its properties, desired state and stages);
nothing here asks which type it serves. `ResourceTypes` picks the provisioner by
CloudFormation's ResourceType.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from endpoint_common.observability import logger
from endpoint_provider.failures import failed
from endpoint_provider.request import (
    DEFAULT_SERVICE_TIMEOUT,
    Budget,
    DesiredStates,
    Outcome,
    Progress,
    ResourceRequest,
)
from endpoint_provider.waiting import Waiter

State = TypeVar("State")


class Lifecycle(Protocol[State]):
    """A resource type's room. Each stage is resumable: it returns Pending with its progress
    when the invocation runs short of time, and the next invocation resumes there. A room may
    also subclass it, to have what it leaves out refused at instantiation."""

    # The property that names the resource, read leniently when the properties do not parse.
    name_property: str

    @property
    def waiter(self) -> Waiter:
        """Runs each step, and retries one that fails transiently (`Waiter.run_step`)."""
        ...

    @abstractmethod
    def desired(self, raw: object, request: ResourceRequest) -> State:
        """What AWS should hold for these properties; InvalidProperties if they are wrong."""
        ...

    @abstractmethod
    def failure_id(self, request: ResourceRequest, desired: State) -> str:
        """What a FAILED Create names, so that the rollback Delete removes what it made."""
        ...

    @abstractmethod
    def create(
        self,
        request: ResourceRequest,
        states: DesiredStates[State],
        progress: Progress,
        budget: Budget,
    ) -> Outcome: ...

    @abstractmethod
    def update(
        self,
        request: ResourceRequest,
        states: DesiredStates[State],
        progress: Progress,
        budget: Budget,
    ) -> Outcome: ...

    @abstractmethod
    def delete(
        self,
        request: ResourceRequest,
        states: DesiredStates[State],
        progress: Progress,
        budget: Budget,
    ) -> Outcome: ...


class Provisioner(Generic[State]):
    def __init__(
        self,
        lifecycle: Lifecycle[State],
        deadline_margin_seconds: float,
        clock: Callable[[], float] = time.time,
    ):
        self.lifecycle = lifecycle
        self._deadline_margin = deadline_margin_seconds
        self._clock = clock

    def desired_states(self, request: ResourceRequest) -> DesiredStates[State]:
        """The request's new and old desired states, parsed once for the whole request. New
        properties that do not parse are kept as the problem, raised by whatever needs them;
        old ones that do not count as unknown."""
        problem = None
        try:
            new: State | None = self.lifecycle.desired(request.properties, request)
        except Exception as error:
            new, problem = None, error
        return DesiredStates(
            new,
            problem=problem,
            old=self._old_desired(request),
            service_timeout=_lenient_service_timeout(request.properties),
            names=_names(self.lifecycle.name_property, request.properties, request.old_properties),
        )

    def failure_id(
        self, request: ResourceRequest, states: DesiredStates[State] | None = None
    ) -> str | None:
        """The physical ID a FAILED answer carries. Update and Delete keep theirs (None). A
        Create names what it was making, so the rollback Delete removes whatever it left
        behind; None when its properties name nothing, since nothing was made. Never raises:
        every failure, whatever it is, is answered with it."""
        if request.request_type != "Create":
            return None
        try:
            desired = (states or self.desired_states(request)).new
            return None if desired is None else self.lifecycle.failure_id(request, desired)
        except Exception:
            logger.exception("failure ID not derived: the FAILED answer names no resource")
            return None

    def start(
        self, request: ResourceRequest, states: DesiredStates[State] | None = None
    ) -> Progress:
        """The first invocation's progress: the deadline stays inside CloudFormation's wait."""
        timeout = (states or self.desired_states(request)).service_timeout
        margin = min(self._deadline_margin, timeout / 4)
        return Progress(deadline=self._clock() + timeout - margin)

    def handle(
        self,
        request: ResourceRequest,
        progress: Progress,
        budget: Budget,
        states: DesiredStates[State] | None = None,
    ) -> Outcome:
        """One step of the request; `states` as `desired_states` gave them, else parsed here."""
        stages = {
            "Create": self.lifecycle.create,
            "Update": self.lifecycle.update,
            "Delete": self.lifecycle.delete,
        }
        try:
            parsed, stage = states or self.desired_states(request), stages[request.request_type]
            return self.lifecycle.waiter.run_step(
                lambda resumed: stage(request, parsed, resumed, budget), progress, budget
            )
        except Exception as error:
            return failed(error)

    def _old_desired(self, request: ResourceRequest) -> State | None:
        """An Update's old properties. A rollback carries the properties that just failed as
        its old ones: whatever is wrong with them must not fail the rollback too."""
        if request.request_type != "Update":
            return None
        try:
            return self.lifecycle.desired(request.old_properties or {}, request)
        except Exception:
            logger.info("old properties unreadable: treated as unknown")
            return None


class ResourceTypes:
    """The provisioner of each resource type the provider serves. Every type not named (such
    as Custom::SageMakerEndpoint, AWS::CloudFormation::CustomResource, or any Custom:: name a
    stack already uses with this ServiceToken) is served by `default`, as it always was."""

    def __init__(self, default: Provisioner[Any], named: dict[str, Provisioner[Any]]):
        self._default = default
        self._named = named

    def for_type(self, resource_type: str | None) -> Provisioner[Any]:
        return self._named.get(resource_type or "", self._default)


def _names(name_property: str, *raws: object) -> tuple[str, ...]:
    named = (raw.get(name_property) if isinstance(raw, dict) else None for raw in raws)
    return tuple(name for name in named if isinstance(name, str))


def _lenient_service_timeout(raw: object) -> int:
    # Properties that are not a map, or an infinite ServiceTimeout: parsing reports them.
    if not isinstance(raw, dict):
        return DEFAULT_SERVICE_TIMEOUT
    try:
        return min(max(int(raw.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT)), 1), 3600)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_SERVICE_TIMEOUT
