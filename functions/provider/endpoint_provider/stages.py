"""The stages every resource type runs the same way, over its own SageMaker resource: a Create
that removes what it made when a Delete raced it, a replacement that removes the new resource
when it fails (CloudFormation never learns its ID), and a Delete that waits out transitions,
deletes what is ours, waits until it is gone, and only then removes its children.

A type describes its resource once (`SageMakerResource`) and brings what differs: how it is
created and awaited (`_create_as`), what goes before its delete (`_before_delete`), and which
children it leaves (`_prune`).
"""

from __future__ import annotations

import contextlib
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, Protocol, TypeVar

from endpoint_common.observability import logger
from endpoint_provider.failures import explain
from endpoint_provider.naming import Owner
from endpoint_provider.provisioning import Lifecycle, Provisioner
from endpoint_provider.request import (
    DELETE,
    Budget,
    DesiredStates,
    Outcome,
    Pending,
    Progress,
    ProvisioningFailed,
    ResourceRequest,
)
from endpoint_provider.sagemaker_gateway import EndpointBusy, ForeignResource, SageMakerGateway
from endpoint_provider.scaling_gateway import ScalingGateway
from endpoint_provider.settings import ProviderSettings
from endpoint_provider.transient import is_transient
from endpoint_provider.waiting import Waiter, Waiting

# The target of a deletion: nothing of ours left under the name.
Gone = Literal["gone"]
GONE: Gone = "gone"


class Owned(Protocol):
    """What a desired state offers the shared stages."""

    @property
    def owner(self) -> Owner: ...


State = TypeVar("State", bound=Owned)
Described = TypeVar("Described", bound=Mapping[str, Any])


class ConcurrentDelete(ProvisioningFailed):
    """A Delete of this resource ran while its Create was in flight and removed part of it."""


@dataclass
class Sighting:
    """Whether a delete has seen a resource of its owner under the name (its ownership checked
    once)."""

    ours: bool = False


@dataclass(frozen=True)
class SageMakerResource(Generic[Described]):
    """One kind of SageMaker resource, as the stages read and delete it."""

    kind: str
    describe: Callable[[str], Described | None]
    delete: Callable[[str], None]
    arn_field: str
    status_field: str
    # Statuses in which SageMaker refuses a change or a delete.
    busy_statuses: frozenset[str]

    def status(self, described: Described) -> str:
        return str(described[self.status_field])

    def arn(self, described: Described) -> str:
        return str(described[self.arn_field])


class ResourceStages(Lifecycle[State], Generic[State, Described]):
    """A resource type's `Lifecycle`, with the stages every type runs alike; the type brings
    `desired`, `failure_id`, `update` and `delete`."""

    name_property: str

    def __init__(
        self,
        gateway: SageMakerGateway,
        scaling: ScalingGateway,
        settings: ProviderSettings,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._gateway = gateway
        self._scaling = scaling
        self._settings = settings
        self._clock = clock
        self._waiter = Waiter(settings.poll_interval_seconds, clock, sleep)
        self._resource = self._sagemaker_resource(gateway)

    @classmethod
    def provisioner(
        cls,
        gateway: SageMakerGateway,
        scaling: ScalingGateway,
        settings: ProviderSettings,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Provisioner[State]:
        """The resource type's provisioner: its room over the shared provisioning."""
        lifecycle = cls(gateway, scaling, settings, clock, sleep)
        return Provisioner(lifecycle, settings.deadline_margin_seconds, clock)

    @staticmethod
    @abstractmethod
    def _sagemaker_resource(gateway: SageMakerGateway) -> SageMakerResource[Described]:
        """How the stages read and delete the type's SageMaker resource."""

    @property
    def waiter(self) -> Waiter:
        return self._waiter

    @abstractmethod
    def _create_as(self, desired: State, progress: Progress, budget: Budget) -> Outcome:
        """Makes the resource (the apply stage, idempotent) and awaits it."""

    @abstractmethod
    def _prune(self, owner: Owner, keep: set[str] | None) -> None:
        """Removes what was made for the owner's resource, but `keep` (None: all of it)."""

    def _before_delete(self, owner: Owner, described: Described) -> Waiting | None:
        """What must go before SageMaker deletes the resource itself; Waiting to delete it at a
        later poll instead."""
        return None

    # Create and replacement

    def create(
        self,
        request: ResourceRequest,
        states: DesiredStates[State],
        progress: Progress,
        budget: Budget,
    ) -> Outcome:
        desired = states.required_new()
        if progress.stage == DELETE:
            return self._discard(desired.owner, progress, budget)
        try:
            return self._create_as(desired, progress, budget)
        except ConcurrentDelete as error:
            # The Delete answered already and will not come back: what this Create made
            # after the Delete looked goes now, before the FAILED answer.
            discarding = replace(progress, stage=DELETE, failure_reason=str(error))
            return self._discard(desired.owner, discarding, budget)

    def _replace(self, new: State, progress: Progress, budget: Budget) -> Outcome:
        """A new resource under the new name; CloudFormation deletes the old one afterwards.
        If the new one fails, it is removed before answering, since CloudFormation never
        learns its ID."""
        if progress.stage == DELETE:
            return self._discard(new.owner, progress, budget)
        try:
            return self._create_as(new, progress, budget)
        except Exception as error:
            if is_transient(error):
                # Retried whole until the deadline (Waiter.run_step); should the deadline come
                # first, the rollback Update removes this abandoned replacement.
                raise
            # Also when the new name belongs to another stack (ForeignResource): the children
            # made for it are ours, and nobody else would ever delete them.
            discarding = replace(progress, stage=DELETE, failure_reason=explain(error))
            return self._discard(new.owner, discarding, budget)

    def _discard(self, owner: Owner, progress: Progress, budget: Budget) -> Outcome:
        gone = self._delete_tree(owner, progress, budget)
        if isinstance(gone, Pending):
            return gone
        raise ProvisioningFailed(progress.failure_reason)

    # Delete

    def _delete_tree(self, owner: Owner, progress: Progress, budget: Budget) -> Pending | None:
        """The resource first, and only once it is gone its children, so SageMaker never runs
        a resource whose model or config was deleted under it."""
        sighting = Sighting()
        gone = self._gone(owner, sighting)
        while True:
            deleted = self._waiter.wait(gone, progress, budget)
            if isinstance(deleted, Pending):
                return deleted
            self._prune(owner, keep=None)
            # A Create still in its apply step may have made the resource after a first look
            # that found nothing, and before the prune: delete it too, instead of leaving it
            # without its children. One this Delete saw was made already, and the Create that
            # made it finds it gone (ConcurrentDelete), so it needs no second look.
            if sighting.ours or gone() is GONE:
                return None
            progress = replace(progress, last_poll=self._clock())

    def _gone(self, owner: Owner, sighting: Sighting) -> Callable[[], Gone | Waiting]:
        """Target: nothing of ours under the owner's name (another owner's is left alone);
        deletes it once it is settled."""
        resource, name = self._resource, owner.name

        def check() -> Gone | Waiting:
            described = resource.describe(name)
            if described is None:
                return GONE
            if not sighting.ours and not self._gateway.owns(resource.arn(described), owner):
                logger.warning(f"{resource.kind} left alone: not ours", resource=name)
                return GONE
            sighting.ours = True
            status = resource.status(described)
            if status not in resource.busy_statuses | {"Deleting"}:
                # SageMaker may start a change between our describe and our delete (its own
                # maintenance, autoscaling); the next poll waits it out and deletes then.
                with contextlib.suppress(EndpointBusy):
                    if waiting := self._before_delete(owner, described):
                        return waiting
                    resource.delete(name)
            return Waiting(f"{resource.kind} {name} is {status}, deleting it")

        return check

    # Shared steps

    def _await_settled(
        self, name: str, owner: Owner, progress: Progress, budget: Budget
    ) -> Described | Pending | None:
        return self._waiter.wait(self._settled(name, owner), progress, budget)

    def _settled(self, name: str, owner: Owner) -> Callable[[], Described | Waiting | None]:
        """Target: our resource in a state that takes changes, or None when there is none."""
        resource = self._resource

        def check() -> Described | Waiting | None:
            described = self._owned(name, owner)
            if described is None:
                return None
            status = resource.status(described)
            if status in resource.busy_statuses:
                return Waiting(f"{resource.kind} {name} is {status}, waiting to update it")
            return described

        return check

    def _owned(self, name: str, owner: Owner) -> Described | None:
        described = self._resource.describe(name)
        if described and not self._gateway.owns(self._resource.arn(described), owner):
            raise ForeignResource(self._resource.kind, name, owner)
        return described


def failure_reason(kind: str, name: str, described: Mapping[str, Any], what: str) -> str:
    reason = described.get("FailureReason") or "SageMaker gave no FailureReason"
    return f"{kind} {name} {what}: {reason}"
