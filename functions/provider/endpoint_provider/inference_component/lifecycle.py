"""Create, update and delete one inference component, resumable across Lambda invocations, in
the stages endpoints use (`stages`).

SageMaker gives components no RollingBack status: a rolling update that fails (a copy that
fails its health check, a rollback alarm) leaves the component InService on its old
specification. An update therefore succeeds only when the component is InService *and*
describes the specification asked for; its superseded model goes only after that.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from endpoint_common.observability import logger
from endpoint_provider.inference_component.desired import ComponentState, desired_state, serves
from endpoint_provider.inference_component.properties import parse_properties
from endpoint_provider.inference_component.requests import checked
from endpoint_provider.inference_component.scaling import DIMENSION, alarm_name, resource_id
from endpoint_provider.naming import Owner, StackLocation, component_name_from_arn
from endpoint_provider.property_errors import InvalidProperties
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
    COMPONENT_TRANSIENT_STATUSES,
    TRANSIENT_STATUSES,
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
from endpoint_provider.waiting import Waiting

if TYPE_CHECKING:
    from types_boto3_sagemaker.type_defs import (
        DescribeEndpointOutputTypeDef,
        DescribeInferenceComponentOutputTypeDef,
    )

KIND = "inference component"
# The stage of a Create whose model is made, awaiting its endpoint.
HOSTING = "hosting"


class ComponentLifecycle(ResourceStages[ComponentState, "DescribeInferenceComponentOutputTypeDef"]):
    name_property = "InferenceComponentName"

    @staticmethod
    def _sagemaker_resource(
        gateway: SageMakerGateway,
    ) -> SageMakerResource[DescribeInferenceComponentOutputTypeDef]:
        return SageMakerResource(
            kind=KIND,
            describe=gateway.describe_inference_component,
            delete=gateway.delete_inference_component,
            arn_field="InferenceComponentArn",
            status_field="InferenceComponentStatus",
            busy_statuses=COMPONENT_TRANSIENT_STATUSES,
        )

    def desired(self, raw: object, request: ResourceRequest) -> ComponentState:
        properties = parse_properties(raw)
        if request.request_type == "Create" and properties.copies == 0:
            raise InvalidProperties(
                [
                    "RuntimeConfig.CopyCount: must be at least 1 when the component is created "
                    "(SageMaker refuses 0 then); lower it afterwards, or let AutoScaling do it"
                ]
            )
        desired = desired_state(
            properties,
            stack_id=request.stack_id,
            logical_id=request.logical_id,
            default_role_arn=self._settings.default_execution_role_arn,
        )
        # Every request botocore's models would refuse is reported before the first change.
        return checked(desired)

    def failure_id(self, request: ResourceRequest, desired: ComponentState) -> str:
        return StackLocation.of(request.stack_id).sagemaker_arn("inference-component", desired.name)

    # Create

    def _create_as(self, desired: ComponentState, progress: Progress, budget: Budget) -> Outcome:
        if progress.stage == APPLY:
            self._prepare(desired)
            progress = replace(progress, stage=HOSTING)
        if progress.stage == HOSTING:
            hosted = self._create_when_hosted(desired, progress, budget)
            if isinstance(hosted, Pending):
                return hosted
            # Right after CreateInferenceComponent the component can only be Creating.
            progress = replace(progress, stage=AWAIT, last_poll=self._clock())
        component = self._waiter.wait(self._in_service(desired), progress, budget)
        if isinstance(component, Pending):
            return component
        self._reconcile_scaling(desired.name, desired.scaling)
        return self._completed(component["InferenceComponentArn"], desired, component)

    def _apply_create(
        self, desired: ComponentState, progress: Progress, budget: Budget
    ) -> Pending | None:
        self._prepare(desired)
        return self._create_when_hosted(desired, progress, budget)

    def _prepare(self, desired: ComponentState) -> None:
        """What goes before the endpoint is awaited: the checks the endpoint as it stands can
        answer, then the model. Made first, the model tells a Create that resumes (HOSTING)
        whether a Delete of this resource ran while it waited: that Delete removed it."""
        endpoint = self._gateway.describe_endpoint(desired.endpoint_name)
        if endpoint:
            _require_instances_to_zero(desired, endpoint, _variant(desired, endpoint))
        if desired.model:
            self._gateway.ensure_model(desired.model, desired.tags, desired.owner)

    def _create_when_hosted(
        self, desired: ComponentState, progress: Progress, budget: Budget
    ) -> Pending | None:
        """Awaits the endpoint, then creates the component on it."""
        endpoint = self._waiter.wait(self._endpoint_ready(desired), progress, budget)
        if isinstance(endpoint, Pending):
            return endpoint
        variant = _variant(desired, endpoint)
        _require_instances_to_zero(desired, endpoint, variant)
        if desired.model and not self._gateway.model_exists(desired.model.name):
            raise ConcurrentDelete(
                f"model {desired.model.name} was deleted while {KIND} {desired.name} awaited "
                f"endpoint {desired.endpoint_name} (a Delete of this resource ran meanwhile)"
            )
        request = desired.create_request(variant)
        try:
            created = self._gateway.create_inference_component(request, desired.tags)
        except ClientError as error:
            if desired.model and is_not_found(error):
                raise ConcurrentDelete(
                    f"model {desired.model.name} was deleted before {KIND} {desired.name} was "
                    "created (a Delete of this resource ran meanwhile)"
                ) from error
            raise
        if created:
            return None
        existing = self._owned(desired.name, desired.owner)
        if existing and existing["EndpointName"].lower() != desired.endpoint_name.lower():
            raise ProvisioningFailed(
                f"{KIND} {desired.name} already exists on endpoint {existing['EndpointName']}; "
                "delete it or set another InferenceComponentName"
            )
        return None

    def _endpoint_ready(
        self, desired: ComponentState
    ) -> Callable[[], DescribeEndpointOutputTypeDef | Waiting]:
        """Target: the hosting endpoint in a state that takes a new component."""
        name = desired.endpoint_name

        def check() -> DescribeEndpointOutputTypeDef | Waiting:
            endpoint = self._gateway.describe_endpoint(name)
            if endpoint is None:
                raise ProvisioningFailed(
                    f"EndpointName: endpoint {name} does not exist; create it first (typically "
                    "!GetAtt of a Custom::SageMakerEndpoint with no model of its own)"
                )
            status = endpoint["EndpointStatus"]
            if status in TRANSIENT_STATUSES:
                return Waiting(f"endpoint {name} is {status}, waiting to add {desired.name}")
            if status != "InService":
                raise ProvisioningFailed(
                    failure_reason("endpoint", name, endpoint, f"is {status}, so hosts nothing")
                )
            return endpoint

        return check

    def _in_service(
        self, desired: ComponentState
    ) -> Callable[[], DescribeInferenceComponentOutputTypeDef | Waiting]:
        """Target: the component InService on the desired specification."""

        def check() -> DescribeInferenceComponentOutputTypeDef | Waiting:
            component = self._gateway.describe_inference_component(desired.name)
            if component is None:
                raise ConcurrentDelete(
                    f"{KIND} {desired.name} was deleted meanwhile (a Delete of this resource "
                    "ran during the wait)"
                )
            status = component["InferenceComponentStatus"]
            if status == "InService":
                if not serves(dict(component), desired):
                    raise ComponentRolledBack(component)
                # A Delete that ran before the component existed pruned its model: SageMaker
                # would run a component no stack can update or clean up.
                if desired.model and not self._gateway.model_exists(desired.model.name):
                    raise ConcurrentDelete(
                        f"model {desired.model.name} was deleted while {KIND} {desired.name} was "
                        "being created (a Delete of this resource ran meanwhile)"
                    )
                return component
            if status == "Failed":
                raise ProvisioningFailed(_failure_reason(component, "failed"))
            return Waiting(f"{KIND} {desired.name} is {status}")

        return check

    def _completed(
        self,
        physical_id: str | None,
        desired: ComponentState,
        component: DescribeInferenceComponentOutputTypeDef,
    ) -> Completed:
        variant = component.get("VariantName") or desired.variant_name or ""
        return Completed(
            physical_id, desired.attributes(component["InferenceComponentArn"], variant)
        )

    # Update

    def update(
        self,
        request: ResourceRequest,
        states: DesiredStates[ComponentState],
        progress: Progress,
        budget: Budget,
    ) -> Outcome:
        new, old = states.required_new(), states.old
        current = _current_name(request, states) or new.name
        if new.name.lower() != current.lower():
            logger.info("update planned", reasons=[f"{current} -> {new.name}: replacement"])
            return self._replace(new, progress, budget)
        abandoned = _abandoned_replacement(old, current)
        if abandoned is not None and progress.stage in (APPLY, DELETE):
            gone = self._delete_tree(abandoned, replace(progress, stage=DELETE), budget)
            if isinstance(gone, Pending):
                return gone
            progress = replace(progress, stage=APPLY)
        if progress.stage == APPLY:
            changing = self._apply_update(new, old, progress, budget)
            if isinstance(changing, Pending):
                return changing
            # Right after a change the component can only be Creating or Updating: ask later.
            asked = self._clock() if changing is not False else None
            progress = replace(progress, stage=AWAIT, last_poll=asked)
        try:
            component = self._waiter.wait(self._in_service(new), progress, budget)
        except ComponentRolledBack as rollback:
            self._reconcile_scaling(new.name, _running_scaling(new, old))
            self._prune(new.owner, keep=_models_of(rollback.component))
            raise ProvisioningFailed(self._rollback_reason(rollback.component, new)) from None
        except Exception:
            self._resume_quietly(new, old)
            raise
        if isinstance(component, Pending):
            return component
        self._reconcile_scaling(new.name, new.scaling)
        self._prune(new.owner, keep=set(new.model_names))
        return self._completed(request.physical_id, new, component)

    def _apply_update(
        self,
        new: ComponentState,
        old: ComponentState | None,
        progress: Progress,
        budget: Budget,
    ) -> Pending | bool | None:
        """Moves the component towards `new`: True when SageMaker was asked to change it, False
        when it needed nothing, None when there was none and it was created."""
        component = self._await_settled(new.name, new.owner, progress, budget)
        if isinstance(component, Pending):
            return component
        if component is None:
            created = self._apply_create(new, progress, budget)
            return created if isinstance(created, Pending) else None
        if component["InferenceComponentStatus"] == "Failed":
            raise ProvisioningFailed(
                _failure_reason(component, "is Failed: change its name to replace it")
            )
        _refuse_move(component, new)
        self._check_instances_to_zero(new, component)
        arn = component["InferenceComponentArn"]
        old_tags = old.user_tags if old else {}
        self._gateway.retag(
            arn,
            {k: v for k, v in new.user_tags.items() if old_tags.get(k) != v},
            tuple(sorted(set(old_tags) - set(new.user_tags))),
        )
        copies = _copies_to_set(new, component)
        # A changed specification rolls out even where SageMaker describes no difference (it
        # does not describe every field as given). Old properties of another component (the
        # rollback of a replacement) say nothing of this one's.
        changed = (
            old is not None and old.name == new.name and old.specification != new.specification
        )
        if changed or not serves(dict(component), new):
            self._roll_out(new, old, copies)
            return True
        if copies is not None:
            self._gateway.update_copy_count(new.name, copies)
            return True
        return False

    def _roll_out(
        self, new: ComponentState, old: ComponentState | None, copies: int | None
    ) -> None:
        """The new specification, rolled out with scaling suspended, so that the copy count
        scaling chose stays what it is while copies are replaced."""
        if new.model:
            self._gateway.ensure_model(new.model, new.tags, new.owner)
        suspended = _running_scaling(new, old)
        try:
            if suspended and self._registered(new.name):
                self._scaling.suspend(suspended)
            self._gateway.update_inference_component(new.update_request(copies))
        except Exception:
            # Whatever failed (SageMaker's refusal, the network, a bug), scaling must not stay
            # suspended.
            self._resume_quietly(new, old)
            raise

    def _check_instances_to_zero(
        self, new: ComponentState, component: DescribeInferenceComponentOutputTypeDef
    ) -> None:
        if new.scaling and new.scaling.min_capacity == 0:
            endpoint = self._gateway.describe_endpoint(component["EndpointName"])
            if endpoint:
                _require_instances_to_zero(new, endpoint, component.get("VariantName", ""))

    def _resume_quietly(self, new: ComponentState, old: ComponentState | None) -> None:
        """Puts back the scaling an update suspended; the original failure is what the user
        must read. The rollback Update (properties swapped) reconciles scaling again."""
        try:
            self._reconcile_scaling(new.name, _running_scaling(new, old))
        except Exception:
            logger.exception("resuming scaling failed; the rollback update retries it")

    def _reconcile_scaling(self, name: str, wanted: Scaling | None) -> None:
        registered = {resource_id(name)} if self._registered(name) else set()
        self._scaling.reconcile(
            registered, (wanted,) if wanted else (), DIMENSION, lambda _: alarm_name(name)
        )

    def _registered(self, name: str) -> bool:
        return resource_id(name) in self._scaling.registered(resource_id(name), DIMENSION)

    def _before_delete(
        self, owner: Owner, described: DescribeInferenceComponentOutputTypeDef
    ) -> Waiting | None:
        """Scaling first: its target would keep changing the copies of a component that is
        going, and outlive it."""
        self._reconcile_scaling(owner.name, None)
        return None

    def _rollback_reason(
        self, component: DescribeInferenceComponentOutputTypeDef, new: ComponentState
    ) -> str:
        # SageMaker's FailureReason may name the alarms itself; name only the ones it leaves out.
        told = component.get("FailureReason") or ""
        fired = [
            alarm for alarm in self._scaling.firing_alarms(new.alarm_names) if alarm not in told
        ]
        what = (
            f"update rolled back by alarm(s) {', '.join(fired)}" if fired else "update rolled back"
        )
        return _failure_reason(component, what)

    # Delete

    def delete(
        self,
        request: ResourceRequest,
        states: DesiredStates[ComponentState],
        progress: Progress,
        budget: Budget,
    ) -> Outcome:
        name = _current_name(request, states) or (states.new.name if states.new else None)
        if name is None:
            return Completed(request.physical_id)
        endpoint = states.new.endpoint_name if states.new else ""
        owner = Owner(request.stack_id, request.logical_id, endpoint, component_name=name)
        gone = self._delete_tree(owner, replace(progress, stage=DELETE), budget)
        return gone if isinstance(gone, Pending) else Completed(request.physical_id)

    def _prune(self, owner: Owner, keep: set[str] | None) -> None:
        """Removes the models made for this component but those in `keep`; with nothing kept
        (the component is gone), its scaling too, should the component have gone another way
        than through this Delete."""
        if keep is None:
            self._reconcile_scaling(owner.name, None)
        self._gateway.delete_owned_models(owner, keep or set())


class ComponentRolledBack(ProvisioningFailed):
    """The component is InService again, but on a specification other than the one asked."""

    def __init__(self, component: DescribeInferenceComponentOutputTypeDef):
        self.component = component
        super().__init__(_failure_reason(component, "update rolled back"))


def _variant(desired: ComponentState, endpoint: DescribeEndpointOutputTypeDef) -> str:
    names = [variant["VariantName"] for variant in endpoint.get("ProductionVariants", [])]
    listed = ", ".join(names) or "none"
    if desired.variant_name is not None:
        if desired.variant_name not in names:
            raise ProvisioningFailed(
                f"VariantName: endpoint {desired.endpoint_name} has no variant "
                f"{desired.variant_name} (its variants: {listed})"
            )
        return desired.variant_name
    if len(names) != 1:
        raise ProvisioningFailed(
            f"VariantName: required, since endpoint {desired.endpoint_name} has variants {listed}"
        )
    return names[0]


def _running_scaling(new: ComponentState, old: ComponentState | None) -> Scaling | None:
    """The scaling the component ran before this update: the old properties', when they are
    this component's (not another's, as in the rollback of a replacement)."""
    return old.scaling if old is not None and old.name == new.name else new.scaling


def _copies_to_set(
    new: ComponentState, component: DescribeInferenceComponentOutputTypeDef
) -> int | None:
    """The copy count to ask for, if the live one is not it. With AutoScaling the copies are
    scaling's: an update never resets them. Without, the template's count is the truth; and a
    component that scaling left at zero copies gets one back when scaling goes and the template
    names no count."""
    if new.scaling is not None:
        return None
    live = component.get("RuntimeConfig", {}).get("DesiredCopyCount")
    wanted = new.copies if new.copies is not None else (1 if live == 0 else None)
    return wanted if wanted is not None and wanted != live else None


def _require_instances_to_zero(
    desired: ComponentState, endpoint: DescribeEndpointOutputTypeDef, variant: str
) -> None:
    """Scaling a component to zero copies releases GPUs only when the endpoint's managed
    instance scaling may release every instance: a minimum of zero instances."""
    if not desired.scaling or desired.scaling.min_capacity != 0:
        return
    managed: Mapping[str, Any] = next(
        (
            summary.get("ManagedInstanceScaling", {})
            for summary in endpoint.get("ProductionVariants", [])
            if summary["VariantName"] == variant
        ),
        {},
    )
    if managed.get("Status") == "ENABLED" and managed.get("MinInstanceCount") == 0:
        return
    state = (
        f"it is {managed.get('MinInstanceCount')}" if managed.get("Status") == "ENABLED" else "off"
    )
    raise InvalidProperties(
        [
            "AutoScaling.MinCopies: 0 needs ManagedInstanceScaling.MinInstanceCount 0 on "
            f"endpoint {desired.endpoint_name} ({variant}: {state}) to release its GPUs; or "
            "MinCopies 1"
        ]
    )


def _refuse_move(component: DescribeInferenceComponentOutputTypeDef, new: ComponentState) -> None:
    """UpdateInferenceComponent cannot move a component to another endpoint or variant, and a
    name the user fixed cannot serve a new component while CloudFormation still holds the old
    one (a derived name changes with the endpoint and variant instead: a replacement)."""
    endpoint, variant = component["EndpointName"], component.get("VariantName")
    if endpoint.lower() != new.endpoint_name.lower() or (
        new.variant_name is not None and variant != new.variant_name
    ):
        raise ProvisioningFailed(
            f"{KIND} {new.name} runs on {endpoint}/{variant}: moving it needs a new component, "
            "and its InferenceComponentName is fixed; change or remove InferenceComponentName"
        )


def _abandoned_replacement(old: ComponentState | None, current: str) -> Owner | None:
    """The old properties name a component other than the physical ID's only in the rollback
    of a failed replacement: remove what of it is ours before rolling back (see the
    endpoint's)."""
    if old is None or old.name.lower() == current.lower():
        return None
    return old.owner


def _current_name(request: ResourceRequest, states: DesiredStates[ComponentState]) -> str | None:
    """The physical ID's component name, in its original case when the properties know it:
    SageMaker lower-cases the name inside the ARN."""
    arn_name = component_name_from_arn(request.physical_id)
    if arn_name is None:
        return None
    known = [*states.names, *(state.name for state in (states.new, states.old) if state)]
    return next((name for name in known if name.lower() == arn_name.lower()), arn_name)


def _models_of(component: DescribeInferenceComponentOutputTypeDef) -> set[str]:
    specs = [component.get("Specification") or {}, *component.get("Specifications", [])]
    return {spec["ModelName"] for spec in specs if spec.get("ModelName")}


def _failure_reason(component: DescribeInferenceComponentOutputTypeDef, what: str) -> str:
    return failure_reason(KIND, component["InferenceComponentName"], component, what)
