"""Create, update and delete one endpoint, resumable across Lambda invocations.

Each request runs in stages. `apply` makes the changes and is idempotent, so a redelivered
request adopts what an earlier delivery created; `await` only observes, so a SageMaker
rollback is never answered with a second UpdateEndpoint; `delete` is re-entrant by nature.
When an invocation runs short of time the provisioner returns Pending with its Progress, and
the next invocation resumes there.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError

from endpoint_common.observability import logger
from endpoint_provider.cloudformation.reasons import explain
from endpoint_provider.desired import DesiredState, desired_state
from endpoint_provider.naming import Owner, StackLocation, endpoint_name_from_arn
from endpoint_provider.properties import InvalidProperties, parse_properties
from endpoint_provider.request import (
    APPLY,
    AWAIT,
    DEFAULT_SERVICE_TIMEOUT,
    DELETE,
    Budget,
    Completed,
    DesiredStates,
    Failed,
    Outcome,
    Pending,
    Progress,
    ProvisioningFailed,
    ResourceRequest,
)
from endpoint_provider.request_check import checked
from endpoint_provider.sagemaker_gateway import (
    TRANSIENT_STATUSES,
    EndpointBusy,
    ForeignResource,
    SageMakerGateway,
    is_not_found,
)
from endpoint_provider.scaling_gateway import ScalingGateway
from endpoint_provider.settings import ProviderSettings
from endpoint_provider.update_plan import UpdatePlan, plan_update, variants_to_suspend
from endpoint_provider.waiting import Waiter, Waiting

if TYPE_CHECKING:
    from types_boto3_sagemaker.type_defs import DescribeEndpointOutputTypeDef

# The target of `_gone`: nothing of ours left under the name.
Gone = Literal["gone"]
GONE: Gone = "gone"


class ConcurrentDelete(ProvisioningFailed):
    """A Delete of this resource ran while its Create was in flight and removed part of it."""


class EndpointProvisioner:
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

    def desired_states(self, request: ResourceRequest) -> DesiredStates:
        """The request's new and old desired states, parsed once for the whole request. New
        properties that do not parse are kept as the problem, raised by whatever needs them;
        old ones that do not (the rollback of an update rejected for them) count as unknown."""
        problem = None
        try:
            new: DesiredState | None = self._desired(request.properties, request)
        except Exception as error:
            new, problem = None, error
        return DesiredStates(
            new,
            problem=problem,
            old=self._old_desired(request),
            service_timeout=_lenient_service_timeout(request.properties),
            endpoint_names=_endpoint_names(request.properties, request.old_properties),
        )

    def failure_id(
        self, request: ResourceRequest, states: DesiredStates | None = None
    ) -> str | None:
        """The physical ID a FAILED answer carries. Update and Delete keep theirs (None). A
        Create names the endpoint it was making, so the rollback Delete removes whatever it left
        behind; None when its properties name nothing, since nothing was made. Never raises:
        every failure, whatever it is, is answered with it."""
        if request.request_type != "Create":
            return None
        try:
            desired = (states or self.desired_states(request)).new
            if desired is None:
                return None
            return StackLocation.of(request.stack_id).endpoint_arn(desired.endpoint_name)
        except Exception:
            logger.exception("failure ID not derived: the FAILED answer names no endpoint")
            return None

    def start(self, request: ResourceRequest, states: DesiredStates | None = None) -> Progress:
        """The first invocation's progress: the deadline stays inside CloudFormation's wait."""
        timeout = (states or self.desired_states(request)).service_timeout
        margin = min(self._settings.deadline_margin_seconds, timeout / 4)
        return Progress(deadline=self._clock() + timeout - margin)

    def handle(
        self,
        request: ResourceRequest,
        progress: Progress,
        budget: Budget,
        states: DesiredStates | None = None,
    ) -> Outcome:
        """One step of the request; `states` as `desired_states` gave them, else parsed here."""
        run = {"Create": self._create, "Update": self._update, "Delete": self._delete}
        try:
            states = states or self.desired_states(request)
            return run[request.request_type](request, states, progress, budget)
        except Exception as error:
            return Failed(explain(error))

    # Create

    def _create(
        self, request: ResourceRequest, states: DesiredStates, progress: Progress, budget: Budget
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

    def _apply_create(self, desired: DesiredState) -> None:
        self._ensure_children(desired)
        try:
            created = self._gateway.create_endpoint(
                desired.endpoint_name, desired.config.name, desired.tags
            )
        except ClientError as error:
            if is_not_found(error):
                raise ConcurrentDelete(
                    f"endpoint config {desired.config.name} was deleted before endpoint "
                    f"{desired.endpoint_name} was created (a Delete of this resource ran meanwhile)"
                ) from error
            raise
        if created:
            return
        existing = self._owned_endpoint(desired.endpoint_name, desired.owner)
        if existing and existing["EndpointConfigName"] != desired.config.name:
            raise ProvisioningFailed(
                f"endpoint {desired.endpoint_name} already exists on config "
                f"{existing['EndpointConfigName']}; delete it or set another EndpointName"
            )

    def _ensure_children(self, desired: DesiredState) -> None:
        for model in desired.models:
            self._gateway.ensure_model(model, desired.tags, desired.owner)
        self._gateway.ensure_endpoint_config(desired.config, desired.tags, desired.owner)

    def _await_in_service(
        self, desired: DesiredState, progress: Progress, budget: Budget
    ) -> DescribeEndpointOutputTypeDef | Pending:
        return self._waiter.wait(self._in_service(desired), progress, budget)

    def _in_service(
        self, desired: DesiredState
    ) -> Callable[[], DescribeEndpointOutputTypeDef | Waiting]:
        """Target: the endpoint InService on the desired config."""

        def check() -> DescribeEndpointOutputTypeDef | Waiting:
            endpoint = self._gateway.describe_endpoint(desired.endpoint_name)
            if endpoint is None:
                raise ConcurrentDelete(
                    f"endpoint {desired.endpoint_name} was deleted meanwhile (a Delete of this "
                    "resource ran during the wait)"
                )
            status = endpoint["EndpointStatus"]
            if status == "InService" and endpoint["EndpointConfigName"] == desired.config.name:
                # A Delete that ran before the endpoint existed pruned its config: SageMaker
                # would run an endpoint no stack can update or clean up.
                if self._gateway.describe_endpoint_config(desired.config.name) is None:
                    raise ConcurrentDelete(
                        f"endpoint config {desired.config.name} was deleted while endpoint "
                        f"{desired.endpoint_name} was being created (a Delete of this resource "
                        "ran meanwhile); the endpoint was removed"
                    )
                return endpoint
            if status == "InService":
                raise UpdateRolledBack(endpoint)
            if status == "Failed":
                raise ProvisioningFailed(_failure_reason(endpoint, "failed"))
            return Waiting(f"endpoint {desired.endpoint_name} is {status}")

        return check

    # Update

    def _update(
        self, request: ResourceRequest, states: DesiredStates, progress: Progress, budget: Budget
    ) -> Outcome:
        new, old = states.required_new(), states.old
        current_name = _current_endpoint_name(request, states) or new.endpoint_name
        plan = plan_update(old, new, current_name)
        logger.info("update planned", reasons=plan.reasons)
        if plan.replace:
            return self._replace(new, progress, budget)
        abandoned = self._abandoned_replacement(old, current_name)
        if abandoned is not None and progress.stage in (APPLY, DELETE):
            gone = self._delete_endpoint_tree(abandoned, replace(progress, stage=DELETE), budget)
            if isinstance(gone, Pending):
                return gone
            progress = replace(progress, stage=APPLY)
        if progress.stage == APPLY:
            changing = self._apply_update(new, old, plan, progress, budget)
            if isinstance(changing, Pending):
                return changing
            # Right after UpdateEndpoint the endpoint can only be Updating: ask later.
            progress = replace(progress, stage=AWAIT, last_poll=self._clock() if changing else None)
        try:
            endpoint = self._await_in_service(new, progress, budget)
        except UpdateRolledBack as rollback:
            self._undo_update(old, new, keep=rollback.endpoint["EndpointConfigName"])
            raise ProvisioningFailed(self._rollback_reason(rollback.endpoint, new)) from None
        if isinstance(endpoint, Pending):
            return endpoint
        self._scaling.reconcile(new.endpoint_name, new.scaling)
        self._prune(new.owner, keep=new.config.name)
        return Completed(request.physical_id, new.attributes(endpoint["EndpointArn"]))

    @staticmethod
    def _abandoned_replacement(old: DesiredState | None, current_name: str) -> Owner | None:
        """The old properties name an endpoint other than the physical ID's only in the
        rollback of a failed replacement. CloudFormation never learned that endpoint's ID, and
        if the failed update could not remove it (say AWS was unreachable), nobody else ever
        will: remove what of it is ours (the owner's tags decide) before rolling back."""
        if old is None or old.endpoint_name.lower() == current_name.lower():
            return None
        return old.owner

    def _undo_update(self, old: DesiredState | None, new: DesiredState, keep: str) -> None:
        """Puts back the scaling the update suspended and drops what it created."""
        if old is None:
            logger.warning("old properties unreadable: autoscaling left as it is")
        else:
            self._scaling.reconcile(new.endpoint_name, old.scaling)
        self._prune(new.owner, keep=keep)

    def _rollback_reason(self, endpoint: DescribeEndpointOutputTypeDef, new: DesiredState) -> str:
        # SageMaker's FailureReason may name the alarms itself; name only the ones it leaves out.
        told = endpoint.get("FailureReason") or ""
        fired = [
            alarm for alarm in self._scaling.firing_alarms(new.alarm_names) if alarm not in told
        ]
        what = (
            f"update rolled back by alarm(s) {', '.join(fired)}" if fired else "update rolled back"
        )
        return _failure_reason(endpoint, what)

    def _apply_update(
        self,
        new: DesiredState,
        old: DesiredState | None,
        plan: UpdatePlan,
        progress: Progress,
        budget: Budget,
    ) -> Pending | bool:
        """Moves the endpoint towards `new`; afterwards only waiting is left. True when
        SageMaker was asked to change the endpoint."""
        endpoint = self._await_settled(new.endpoint_name, new.owner, progress, budget)
        if isinstance(endpoint, Pending):
            return endpoint
        if endpoint is None:
            self._apply_create(new)
            return True
        if endpoint["EndpointStatus"] == "Failed":
            raise ProvisioningFailed(
                _failure_reason(
                    endpoint,
                    "is Failed, and SageMaker only allows deleting it: "
                    "change EndpointName to replace it",
                )
            )
        self._gateway.retag(endpoint["EndpointArn"], plan.tags_to_add, plan.tag_keys_to_remove)
        if endpoint["EndpointConfigName"] == new.config.name:
            return False
        self._roll_out(endpoint, new, old)
        return True

    def _roll_out(
        self, endpoint: DescribeEndpointOutputTypeDef, new: DesiredState, old: DesiredState | None
    ) -> None:
        """Puts the endpoint on the new config, its scaling suspended where SageMaker demands."""
        self._ensure_children(new)
        try:
            self._suspend_scaling(endpoint, new)
            self._gateway.update_endpoint(new.endpoint_name, new.config.name, **new.update_options)
        except Exception:
            # Whatever failed (SageMaker's refusal, the network, a bug), the variant's scaling
            # must not stay suspended.
            self._undo_update_quietly(old, new, keep=endpoint["EndpointConfigName"])
            raise

    def _undo_update_quietly(self, old: DesiredState | None, new: DesiredState, keep: str) -> None:
        """Undoes what it can; the original failure is what the user must read. The rollback
        Update (properties swapped) reconciles scaling again."""
        try:
            self._undo_update(old, new, keep)
        except Exception:
            logger.exception("undoing the failed update failed; the rollback update retries it")

    def _suspend_scaling(self, endpoint: DescribeEndpointOutputTypeDef, new: DesiredState) -> None:
        """SageMaker refuses to change the instance type of, or remove, a variant that is a
        registered scalable target; its scaling comes back once the endpoint is updated."""
        registered = self._scaling.registered_variants(new.endpoint_name)
        if not registered:
            return
        live = self._gateway.describe_endpoint_config(endpoint["EndpointConfigName"])
        live_types: dict[str, str | None] = (
            {
                variant["VariantName"]: variant.get("InstanceType")
                for variant in [
                    *live.get("ProductionVariants", []),
                    *live.get("ShadowProductionVariants", []),
                ]
            }
            if live
            else {}
        )
        for variant in variants_to_suspend(live_types, registered, new.config):
            self._scaling.remove(new.endpoint_name, variant)

    def _replace(self, new: DesiredState, progress: Progress, budget: Budget) -> Outcome:
        """A new endpoint under the new name; CloudFormation deletes the old one afterwards.
        If the new one fails, it is removed before answering, since CloudFormation never
        learns its ID."""
        if progress.stage == DELETE:
            return self._discard(new.owner, progress, budget)
        try:
            return self._create_as(new, progress, budget)
        except Exception as error:
            # Also when the new name belongs to another stack (ForeignResource): the model and
            # config made for it are ours, and nobody else would ever delete them.
            discarding = replace(progress, stage=DELETE, failure_reason=explain(error))
            return self._discard(new.owner, discarding, budget)

    def _create_as(self, desired: DesiredState, progress: Progress, budget: Budget) -> Outcome:
        if progress.stage == APPLY:
            self._apply_create(desired)
            # Right after CreateEndpoint the endpoint can only be Creating: ask later.
            progress = replace(progress, stage=AWAIT, last_poll=self._clock())
        endpoint = self._await_in_service(desired, progress, budget)
        if isinstance(endpoint, Pending):
            return endpoint
        self._scaling.reconcile(desired.endpoint_name, desired.scaling)
        return Completed(endpoint["EndpointArn"], desired.attributes(endpoint["EndpointArn"]))

    def _discard(self, owner: Owner, progress: Progress, budget: Budget) -> Outcome:
        gone = self._delete_endpoint_tree(owner, progress, budget)
        if isinstance(gone, Pending):
            return gone
        raise ProvisioningFailed(progress.failure_reason)

    # Delete

    def _delete(
        self, request: ResourceRequest, states: DesiredStates, progress: Progress, budget: Budget
    ) -> Outcome:
        name = _current_endpoint_name(request, states) or _unanswered_create_name(states)
        if name is None:
            return Completed(request.physical_id)
        owner = Owner(request.stack_id, request.logical_id, name)
        gone = self._delete_endpoint_tree(owner, replace(progress, stage=DELETE), budget)
        return gone if isinstance(gone, Pending) else Completed(request.physical_id)

    def _delete_endpoint_tree(
        self, owner: Owner, progress: Progress, budget: Budget
    ) -> Pending | None:
        """Endpoint first, and only once it is gone its configs and models, so SageMaker never
        runs an endpoint whose config was deleted under it."""
        gone = self._gone(owner)
        while True:
            deleted = self._waiter.wait(gone, progress, budget)
            if isinstance(deleted, Pending):
                return deleted
            self._prune(owner, keep=None)
            # A Create still in its apply step may have made the endpoint after the first look
            # and before the prune: delete it too, instead of leaving it without its config.
            if gone() is GONE:
                return None
            progress = replace(progress, last_poll=self._clock())

    def _gone(self, owner: Owner) -> Callable[[], Gone | Waiting]:
        """Target: no endpoint of this owner's name that is ours (one of another owner is left
        alone); deletes it once it is settled."""
        ownership_checked = False

        def check() -> Gone | Waiting:
            nonlocal ownership_checked
            endpoint = self._gateway.describe_endpoint(owner.endpoint_name)
            if endpoint is None:
                return GONE
            if not ownership_checked and not self._gateway.owns_endpoint(endpoint, owner):
                logger.warning("endpoint left alone: not ours", endpoint=owner.endpoint_name)
                return GONE
            ownership_checked = True
            status = endpoint["EndpointStatus"]
            if status not in TRANSIENT_STATUSES | {"Deleting"}:
                # SageMaker may start a system update between our describe and our delete;
                # the next poll waits it out and deletes then.
                with contextlib.suppress(EndpointBusy):
                    self._scaling.reconcile(owner.endpoint_name, ())
                    self._gateway.delete_endpoint(owner.endpoint_name)
            return Waiting(f"endpoint {owner.endpoint_name} is {status}, deleting it")

        return check

    # Shared steps

    def _await_settled(
        self, name: str, owner: Owner, progress: Progress, budget: Budget
    ) -> DescribeEndpointOutputTypeDef | Pending | None:
        return self._waiter.wait(self._settled(name, owner), progress, budget)

    def _settled(
        self, name: str, owner: Owner
    ) -> Callable[[], DescribeEndpointOutputTypeDef | Waiting | None]:
        """Target: our endpoint in a state that takes changes, or None when there is none."""

        def check() -> DescribeEndpointOutputTypeDef | Waiting | None:
            endpoint = self._owned_endpoint(name, owner)
            if endpoint is None:
                return None
            if endpoint["EndpointStatus"] in TRANSIENT_STATUSES:
                status = endpoint["EndpointStatus"]
                return Waiting(f"endpoint {name} is {status}, waiting to update it")
            return endpoint

        return check

    def _owned_endpoint(self, name: str, owner: Owner) -> DescribeEndpointOutputTypeDef | None:
        endpoint = self._gateway.describe_endpoint(name)
        if endpoint and not self._gateway.owns_endpoint(endpoint, owner):
            raise ForeignResource("endpoint", name, owner)
        return endpoint

    def _prune(self, owner: Owner, keep: str | None) -> None:
        """Removes this endpoint's configs and models except `keep` and what it uses."""
        kept_models: set[str] = set()
        for config in self._gateway.owned_configs(owner):
            if config["EndpointConfigName"] == keep:
                kept_models = {variant["ModelName"] for variant in config["ProductionVariants"]}
            else:
                self._gateway.delete_endpoint_config(config["EndpointConfigName"])
        for model in self._gateway.owned_models(owner):
            if model not in kept_models:
                self._gateway.delete_model(model)

    def _desired(self, raw: object, request: ResourceRequest) -> DesiredState:
        desired = desired_state(
            parse_properties(raw),
            stack_id=request.stack_id,
            logical_id=request.logical_id,
            default_role_arn=self._settings.default_execution_role_arn,
        )
        # Every request botocore's models would refuse is reported before the first change.
        return checked(desired)

    def _old_desired(self, request: ResourceRequest) -> DesiredState | None:
        if request.request_type != "Update":
            return None
        try:
            return self._desired(request.old_properties or {}, request)
        except InvalidProperties:
            return None


class UpdateRolledBack(ProvisioningFailed):
    """The endpoint is InService again, but on a config other than the one requested."""

    def __init__(self, endpoint: DescribeEndpointOutputTypeDef):
        self.endpoint = endpoint
        super().__init__(_failure_reason(endpoint, "update rolled back"))


def _failure_reason(endpoint: DescribeEndpointOutputTypeDef, what: str) -> str:
    reason = endpoint.get("FailureReason") or "SageMaker gave no FailureReason"
    return f"endpoint {endpoint['EndpointName']} {what}: {reason}"


def _unanswered_create_name(states: DesiredStates) -> str | None:
    """A physical ID that names no endpoint comes from a Create whose answer never reached
    CloudFormation (its ResponseURL unreachable, or CloudFormation's own timeout) or that
    failed before naming anything. The endpoint such a Create may still have made is the one
    its properties name; the ownership tags (this stack, this logical ID) decide whether it is
    this resource's to delete."""
    return states.new.endpoint_name if states.new else None


def _current_endpoint_name(request: ResourceRequest, states: DesiredStates) -> str | None:
    """The physical ID's endpoint name, in its original case when the properties know it:
    SageMaker lower-cases the name inside the ARN."""
    arn_name = endpoint_name_from_arn(request.physical_id)
    if arn_name is None:
        return None
    for named in states.endpoint_names:
        if named.lower() == arn_name.lower():
            return named
    return arn_name


def _endpoint_names(*raws: object) -> tuple[str, ...]:
    named = (raw.get("EndpointName") if isinstance(raw, dict) else None for raw in raws)
    return tuple(name for name in named if isinstance(name, str))


def _lenient_service_timeout(raw: object) -> int:
    # Properties that are not a map, or an infinite ServiceTimeout: parsing reports them.
    if not isinstance(raw, dict):
        return DEFAULT_SERVICE_TIMEOUT
    try:
        return min(max(int(raw.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT)), 1), 3600)
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_SERVICE_TIMEOUT
