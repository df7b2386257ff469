"""Create, update and delete one endpoint, resumable across Lambda invocations.

Each request runs in stages. `apply` makes the changes and is idempotent, so a redelivered
request adopts what an earlier delivery created; `await` only observes, so a SageMaker
rollback is never answered with a second UpdateEndpoint; `delete` is re-entrant by nature.
When an invocation runs short of time a stage returns Pending with its Progress, and the next
invocation resumes there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from endpoint_common.observability import logger
from endpoint_provider.endpoint import scaling
from endpoint_provider.endpoint.desired import DesiredState, desired_state
from endpoint_provider.endpoint.properties import parse_properties
from endpoint_provider.endpoint.requests import checked
from endpoint_provider.endpoint.update_plan import UpdatePlan, plan_update, variants_to_suspend
from endpoint_provider.naming import Owner, StackLocation, endpoint_name_from_arn, stack_name
from endpoint_provider.request import (
    APPLY,
    AWAIT,
    DELETE,
    Budget,
    Completed,
    DesiredStates,
    Outcome,
    Pending,
    Progress,
    ProvisioningFailed,
    ResourceRequest,
)
from endpoint_provider.sagemaker_gateway import (
    TRANSIENT_STATUSES,
    EndpointBusy,
    HostedComponent,
    SageMakerGateway,
    is_not_found,
)
from endpoint_provider.scaling_requests import Scaling
from endpoint_provider.stages import (
    ConcurrentDelete,
    ResourceStages,
    SageMakerResource,
    failure_reason,
)
from endpoint_provider.transient import is_transient
from endpoint_provider.waiting import Waiting

# Within CloudFormation's 256 characters, with the endpoint's name and the remedy.
FOREIGN_COMPONENTS_SHOWN = 3

if TYPE_CHECKING:
    from types_boto3_sagemaker.type_defs import DescribeEndpointOutputTypeDef


class EndpointLifecycle(ResourceStages[DesiredState, "DescribeEndpointOutputTypeDef"]):
    name_property = "EndpointName"

    @staticmethod
    def _sagemaker_resource(
        gateway: SageMakerGateway,
    ) -> SageMakerResource[DescribeEndpointOutputTypeDef]:
        return SageMakerResource(
            kind="endpoint",
            describe=gateway.describe_endpoint,
            delete=gateway.delete_endpoint,
            arn_field="EndpointArn",
            status_field="EndpointStatus",
            busy_statuses=TRANSIENT_STATUSES,
        )

    def desired(self, raw: object, request: ResourceRequest) -> DesiredState:
        desired = desired_state(
            parse_properties(raw),
            stack_id=request.stack_id,
            logical_id=request.logical_id,
            default_role_arn=self._settings.default_execution_role_arn,
        )
        # Every request botocore's models would refuse is reported before the first change.
        return checked(desired)

    def failure_id(self, request: ResourceRequest, desired: DesiredState) -> str:
        return StackLocation.of(request.stack_id).endpoint_arn(desired.endpoint_name)

    # Create

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
        existing = self._owned(desired.endpoint_name, desired.owner)
        if existing and existing["EndpointConfigName"] != desired.config.name:
            raise ProvisioningFailed(
                f"endpoint {desired.endpoint_name} already exists on config "
                f"{existing['EndpointConfigName']}; delete it or set another EndpointName"
            )

    def _ensure_children(self, desired: DesiredState) -> None:
        for model in desired.models:
            self._gateway.ensure_model(model, desired.tags, desired.owner)
        self._gateway.ensure_endpoint_config(desired.config.request, desired.tags, desired.owner)

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

    def update(
        self,
        request: ResourceRequest,
        states: DesiredStates[DesiredState],
        progress: Progress,
        budget: Budget,
    ) -> Outcome:
        new, old = states.required_new(), states.old
        current_name = _current_endpoint_name(request, states) or new.endpoint_name
        plan = plan_update(old, new, current_name)
        logger.info("update planned", reasons=plan.reasons)
        if plan.replace:
            return self._replace(new, progress, budget)
        abandoned = self._abandoned_replacement(old, current_name)
        if abandoned is not None and progress.stage in (APPLY, DELETE):
            gone = self._delete_tree(abandoned, replace(progress, stage=DELETE), budget)
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
        self._reconcile_scaling(new.endpoint_name, new.scaling)
        self._prune(new.owner, keep={new.config.name})
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

    def _undo_update(self, old: DesiredState | None, new: DesiredState, keep: str | None) -> None:
        """Puts back the scaling the update suspended and drops what it created but `keep` (the
        config the endpoint runs; None: drops nothing)."""
        if old is None:
            logger.warning("old properties unreadable: autoscaling left as it is")
        else:
            self._reconcile_scaling(new.endpoint_name, old.scaling)
        if keep is not None:
            self._prune(new.owner, keep={keep})

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
        except Exception as error:
            # Whatever failed (SageMaker's refusal, the network, a bug), the variant's scaling
            # must not stay suspended. A call that may have gone through (its answer lost, or
            # the endpoint already changing) keeps the new config and models: the endpoint may
            # be moving to them, and the step is retried.
            unsure = is_transient(error) or isinstance(error, EndpointBusy)
            self._undo_update_quietly(
                old, new, keep=None if unsure else endpoint["EndpointConfigName"]
            )
            raise

    def _undo_update_quietly(
        self, old: DesiredState | None, new: DesiredState, keep: str | None
    ) -> None:
        """Undoes what it can (with `keep` None, scaling only); the original failure is what
        the user must read. The rollback Update (properties swapped) reconciles scaling
        again."""
        try:
            self._undo_update(old, new, keep)
        except Exception:
            logger.exception("undoing the failed update failed; the rollback update retries it")

    def _suspend_scaling(self, endpoint: DescribeEndpointOutputTypeDef, new: DesiredState) -> None:
        """SageMaker refuses to change the instance type of, or remove, a variant that is a
        registered scalable target; its scaling comes back once the endpoint is updated."""
        name = new.endpoint_name
        registered = {
            scaling.variant_of(resource)
            for resource in self._scaling.registered(scaling.prefix(name), scaling.DIMENSION)
        }
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
            self._scaling.remove(
                scaling.resource_id(name, variant),
                scaling.DIMENSION,
                scaling.alarm_name(name, variant),
            )

    def _reconcile_scaling(self, endpoint_name: str, wanted: tuple[Scaling, ...]) -> None:
        registered = self._scaling.registered(scaling.prefix(endpoint_name), scaling.DIMENSION)
        self._scaling.reconcile(
            registered, wanted, scaling.DIMENSION, scaling.alarm_name_of(endpoint_name)
        )

    def _create_as(self, desired: DesiredState, progress: Progress, budget: Budget) -> Outcome:
        if progress.stage == APPLY:
            self._apply_create(desired)
            # Right after CreateEndpoint the endpoint can only be Creating: ask later.
            progress = replace(progress, stage=AWAIT, last_poll=self._clock())
        endpoint = self._await_in_service(desired, progress, budget)
        if isinstance(endpoint, Pending):
            return endpoint
        self._reconcile_scaling(desired.endpoint_name, desired.scaling)
        return Completed(endpoint["EndpointArn"], desired.attributes(endpoint["EndpointArn"]))

    # Delete

    def delete(
        self,
        request: ResourceRequest,
        states: DesiredStates[DesiredState],
        progress: Progress,
        budget: Budget,
    ) -> Outcome:
        name = _current_endpoint_name(request, states) or _unanswered_create_name(states)
        if name is None:
            return Completed(request.physical_id)
        owner = Owner(request.stack_id, request.logical_id, name)
        gone = self._delete_tree(owner, replace(progress, stage=DELETE), budget)
        return gone if isinstance(gone, Pending) else Completed(request.physical_id)

    def _before_delete(
        self, owner: Owner, described: DescribeEndpointOutputTypeDef
    ) -> Waiting | None:
        """Inference components first: SageMaker refuses to delete an endpoint that hosts any.
        This stack's go with it (CloudFormation is deleting them), and so do any already
        Deleting, so the delete waits for them; another stack's, or nobody's, keep the
        endpoint, and the Delete fails naming them before anything is deleted."""
        hosted = self._gateway.hosted_components(owner.endpoint_name)
        foreign = [
            component
            for component in hosted
            if component.stack_id != owner.stack_id and component.status != "Deleting"
        ]
        if foreign:
            raise ProvisioningFailed(_hosts_foreign_components(owner.endpoint_name, foreign))
        if hosted:
            names = ", ".join(component.name for component in hosted)
            return Waiting(f"endpoint {owner.endpoint_name} hosts {names} of this stack")
        self._reconcile_scaling(owner.endpoint_name, ())
        return None

    def _prune(self, owner: Owner, keep: set[str] | None) -> None:
        """Removes this endpoint's configs and models except the configs in `keep` and what
        they use."""
        kept_models: set[str] = set()
        for config in self._gateway.owned_configs(owner):
            if config["EndpointConfigName"] in (keep or set()):
                variants = config["ProductionVariants"]
                kept_models = {
                    variant["ModelName"] for variant in variants if "ModelName" in variant
                }
            else:
                self._gateway.delete_endpoint_config(config["EndpointConfigName"])
        self._gateway.delete_owned_models(owner, kept_models)


class UpdateRolledBack(ProvisioningFailed):
    """The endpoint is InService again, but on a config other than the one requested."""

    def __init__(self, endpoint: DescribeEndpointOutputTypeDef):
        self.endpoint = endpoint
        super().__init__(_failure_reason(endpoint, "update rolled back"))


def _failure_reason(endpoint: DescribeEndpointOutputTypeDef, what: str) -> str:
    return failure_reason("endpoint", endpoint["EndpointName"], endpoint, what)


def _hosts_foreign_components(endpoint_name: str, foreign: list[HostedComponent]) -> str:
    shown = [
        f"{component.name} ({_stack_of(component)})"
        for component in foreign[:FOREIGN_COMPONENTS_SHOWN]
    ]
    more = len(foreign) - len(shown)
    listed = ", ".join(shown) + (f", +{more} more" if more else "")
    return (
        f"endpoint {endpoint_name} still hosts inference components of other stacks: {listed}; "
        "delete them first (nothing was deleted)"
    )


def _stack_of(component: HostedComponent) -> str:
    return f"stack {stack_name(component.stack_id)}" if component.stack_id else "no stack"


def _unanswered_create_name(states: DesiredStates[DesiredState]) -> str | None:
    """A physical ID that names no endpoint comes from a Create whose answer never reached
    CloudFormation (its ResponseURL unreachable, or CloudFormation's own timeout) or that
    failed before naming anything. The endpoint such a Create may still have made is the one
    its properties name; the ownership tags (this stack, this logical ID) decide whether it is
    this resource's to delete."""
    return states.new.endpoint_name if states.new else None


def _current_endpoint_name(
    request: ResourceRequest, states: DesiredStates[DesiredState]
) -> str | None:
    """The physical ID's endpoint name, in its original case when the properties know it:
    SageMaker lower-cases the name inside the ARN."""
    arn_name = endpoint_name_from_arn(request.physical_id)
    if arn_name is None:
        return None
    for named in states.names:
        if named.lower() == arn_name.lower():
            return named
    return arn_name
