"""SageMaker's inference component operations, on the simulated clock.

Create, Update, UpdateRuntimeConfig and Delete refuse what SageMaker refuses, then move the
component through Creating, Updating or Deleting; each change completes at a due time, when
`advance` reaches it. A failed update (a failing image, a model gone, copies that do not fit,
or a rollback alarm in ALARM while it rolls) returns the component to InService on its old
specification: SageMaker has no RollingBack status for components.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from werkzeug.wrappers import Response

from localaws.sagemaker import resources, timeline
from localaws.sagemaker.components import (
    Component,
    Components,
    describe,
    is_component_arn,
    listed,
)
from localaws.sagemaker.hosting import Placements
from localaws.sagemaker.wire import Request, json_response, validation

COPY_COUNT_ZERO = "Inference components copy count an integer larger than 0"
HEALTH_CHECK_FAILURE = (
    "The container for inference component {name} did not pass the ping health check. Please"
    " check CloudWatch logs for this inference component."
)
INSUFFICIENT_CAPACITY = (
    "Insufficient capacity to place {copies} copies of inference component {name} on variant"
    " {variant} of endpoint {endpoint}."
)
ENDPOINT_HAS_COMPONENTS = "Cannot delete endpoint with inference component associated"


@dataclass
class _Change:
    """A component's pending change, complete at `due` unless one of the alarms `firing_alarms`
    names goes off first, which calls `on_alarm` instead."""

    component: Component
    due: float
    complete: Callable[[], None]
    firing_alarms: Callable[[], list[str]] = list
    on_alarm: Callable[[float], None] | None = None


@dataclass
class Durations:
    """Seconds, already scaled by the settings' time_scale."""

    create: float
    update: float
    delete: float
    policy_wait_scale: float


class ComponentOperations:
    """The handlers of the inference component operations, and each component's pending change.

    `durations` and `failing_image_marker` are read when an operation starts, as the settings
    may change between requests."""

    def __init__(
        self,
        components: Components,
        placements: Placements,
        durations: Callable[[], Durations],
        failing_image_marker: Callable[[], str],
    ) -> None:
        self.components = components
        self.placements = placements
        self._durations = durations
        self._failing_marker = failing_image_marker
        self._changes: dict[tuple[str, str, str], _Change] = {}

    def handlers(self) -> dict[str, Callable[[Request], Response]]:
        return {
            "CreateInferenceComponent": self.create,
            "DescribeInferenceComponent": self.describe,
            "UpdateInferenceComponent": self.update,
            "UpdateInferenceComponentRuntimeConfig": self.update_runtime_config,
            "DeleteInferenceComponent": self.delete,
            "ListInferenceComponents": self.list_components,
        }

    def clear(self) -> None:
        self._changes.clear()
        self.components.clear()
        self.placements.clear()

    def advance(self, now: float) -> None:
        """Complete the changes due by `now`; roll back updates whose alarms fire."""
        for key, change in list(self._changes.items()):
            if change.due <= now:
                del self._changes[key]
                elapsed = timedelta(seconds=now - change.due)
                change.component.last_modified_time = utcnow() - elapsed
                change.complete()
            elif change.on_alarm and change.firing_alarms():
                change.on_alarm(now)

    def _begin(self, change: _Change, status: str) -> None:
        change.component.status = status
        change.component.last_modified_time = utcnow()
        self._changes[change.component.key] = change

    # CreateInferenceComponent

    def create(self, request: Request) -> Response:
        backend, params = request.backend, request.params
        name = params["InferenceComponentName"]
        if self.components.find(backend, name) is not None:
            component_arn = resources.arn(backend, "inference-component", name.lower())
            raise resources.already_exists("inference component", component_arn)
        endpoint = self._hosting_endpoint(backend, params["EndpointName"])
        specification, specifications = _specification(params)
        variant = self._variant(endpoint, params.get("VariantName"))
        self._check_specification(backend, endpoint, specification)
        component = Component(
            backend=backend,
            name=name,
            endpoint_name=endpoint.endpoint_name,
            endpoint_arn=endpoint.arn,
            variant_name=variant,
            specification=specification,
            specifications=specifications,
            desired_copies=_initial_copies(specification, params.get("RuntimeConfig")),
            tags=list(params.get("Tags", [])),
        )
        self.components.add(component)
        complete = partial(self._finish_create, component, endpoint)
        self._begin(
            _Change(component, request.now + self._durations().create, complete), "Creating"
        )
        return json_response({"InferenceComponentArn": component.arn})

    def _hosting_endpoint(self, backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
        """Assumption: SageMaker takes components only on an InService endpoint, and refuses them
        on one whose variants name models (the wording of both refusals is the simulator's)."""
        endpoint = resources.endpoint(backend, name)
        if endpoint.endpoint_status != "InService":
            raise validation(
                f'Cannot create an inference component on endpoint "{endpoint.arn}" while it is'
                f" {endpoint.endpoint_status}."
            )
        if not self.placements.hosts_components(endpoint):
            raise validation(
                f'Endpoint "{endpoint.arn}" cannot host inference components: the production'
                f' variants of endpoint configuration "{endpoint.endpoint_config_name}" name'
                " models."
            )
        return endpoint

    def _variant(self, endpoint: FakeEndpoint, name: str | None) -> str:
        """Assumption: without a VariantName, an endpoint with one variant uses that one."""
        names = [summary["VariantName"] for summary in endpoint.production_variants]
        if name is None and len(names) == 1:
            return names[0]
        if name not in names:
            raise validation(
                f'The variant name "{name}" is not present within endpoint configuration'
                f' "{endpoint.endpoint_config_name}".'
            )
        return name

    def _check_specification(
        self, backend: SageMakerModelBackend, endpoint: FakeEndpoint, spec: dict[str, Any]
    ) -> None:
        """Refuse a specification that names a missing model or base component, or lacks what a
        copy needs to be placed.

        Assumption: the wording of these refusals; and that an adapter (a specification with
        BaseInferenceComponentName) may not give ComputeResourceRequirements, as the API
        reference says to omit them for adapters."""
        if model := spec.get("ModelName"):
            _require_model(backend, model)
        if base_name := spec.get("BaseInferenceComponentName"):
            self._require_base(backend, endpoint, base_name)
            if "ComputeResourceRequirements" in spec:
                raise validation(
                    "An adapter inference component uses the compute resources of its base"
                    " component: omit ComputeResourceRequirements."
                )
            return
        if "ModelName" not in spec and "Container" not in spec:
            raise validation("The Specification needs a ModelName or a Container.")
        if "ComputeResourceRequirements" not in spec:
            raise validation("The Specification needs ComputeResourceRequirements.")

    def _require_base(
        self, backend: SageMakerModelBackend, endpoint: FakeEndpoint, base_name: str
    ) -> None:
        base = self.components.find(backend, base_name)
        if base is None or base.endpoint_name != endpoint.endpoint_name or base.base_name:
            raise validation(
                f'Could not find base inference component "{base_name}" on endpoint'
                f' "{endpoint.endpoint_name}".'
            )

    def _finish_create(self, component: Component, endpoint: FakeEndpoint) -> None:
        """Assumption: a new component fails unless all its copies find room (after managed
        scaling added what it may); the wording of the capacity reason is the simulator's."""
        failure = self._failure(component, component.specification)
        component.target_copies = component.desired_copies
        if failure is None and not self.placements.fits(endpoint, self.components, component):
            failure = _insufficient(component)
        if failure is not None:
            component.status, component.failure_reason = "Failed", failure
            component.target_copies = 0
            return
        component.status = "InService"
        self.placements.rebalance(component.backend, endpoint, self.components)

    def _failure(self, component: Component, spec: dict[str, Any]) -> str | None:
        """Why copies of `spec` fail to start, if they do: a model gone since the request, or an
        image the settings mark as failing its health check."""
        images = [spec.get("Container", {}).get("Image", "")]
        if model_name := spec.get("ModelName"):
            model = component.backend._models.get(model_name)
            if model is None:
                return _model_missing(component.backend, model_name)
            images.extend(resources.images(model))
        if any(self._failing_marker() in image for image in images if image):
            return HEALTH_CHECK_FAILURE.format(name=component.name)
        return None

    # DescribeInferenceComponent, ListInferenceComponents

    def describe(self, request: Request) -> Response:
        component = self.components.named(request.backend, request.params["InferenceComponentName"])
        return json_response(describe(component, self.components))

    def list_components(self, request: Request) -> Response:
        return json_response(listed(self.components.of(request.backend), request.params))

    # UpdateInferenceComponent

    def update(self, request: Request) -> Response:
        params = request.params
        component = self.components.named(request.backend, params["InferenceComponentName"])
        _require_settled(component)
        if not {"Specification", "Specifications", "RuntimeConfig"} & params.keys():
            raise validation(
                "UpdateInferenceComponent needs a Specification, Specifications or RuntimeConfig."
            )
        specification, specifications = component.specification, component.specifications
        if {"Specification", "Specifications"} & params.keys():
            specification, specifications = _specification(params)
            endpoint = resources.endpoint(request.backend, component.endpoint_name)
            self._check_specification(request.backend, endpoint, specification)
        copies = component.desired_copies
        if "RuntimeConfig" in params:
            _require_copies_of_its_own(component)
            copies = params["RuntimeConfig"]["CopyCount"]
        deployment = params.get("DeploymentConfig")
        self._roll(request, component, (specification, specifications, copies), deployment)
        return json_response({"InferenceComponentArn": component.arn})

    def _roll(
        self,
        request: Request,
        component: Component,
        new: tuple[dict[str, Any], list[dict[str, Any]] | None, int],
        deployment: dict[str, Any] | None,
    ) -> None:
        """Assumption: while Updating, DescribeInferenceComponent shows the old specification and
        copy count (the API has no pending summary for components); the new ones show once
        the update completes."""
        if deployment is not None:
            component.last_deployment_config = deployment
        due = request.now + self._rolling_seconds(component, deployment or {})
        change = _Change(
            component,
            due,
            partial(self._finish_update, component, *new),
            timeline.alarm_watch(request.backend, deployment or {}),
            partial(self._roll_back, component),
        )
        self._begin(change, "Updating")

    def _rolling_seconds(self, component: Component, deployment: dict[str, Any]) -> float:
        """A rolling update replaces copies batch by batch: an update's duration per batch,
        plus the policy's wait (scaled by policy_wait_scale) after each."""
        durations = self._durations()
        rolling = deployment.get("RollingUpdatePolicy", {})
        batches = _batches(component.desired_copies, rolling.get("MaximumBatchSize"))
        wait = rolling.get("WaitIntervalInSeconds", 0) * durations.policy_wait_scale
        return batches * (durations.update + wait)

    def _finish_update(
        self,
        component: Component,
        specification: dict[str, Any],
        specifications: list[dict[str, Any]] | None,
        copies: int,
    ) -> None:
        """Assumption: a rolled-back update leaves no FailureReason: the reference documents only
        that the component is InService on its old specification."""
        old = (component.specification, component.specifications, component.target_copies)
        component.specification, component.specifications = specification, specifications
        component.target_copies = copies
        endpoint = component.backend.endpoints[component.endpoint_name]
        if self._failure(component, specification) or not self.placements.fits(
            endpoint, self.components, component
        ):
            component.specification, component.specifications, component.target_copies = old
        else:
            component.desired_copies = copies
            component.failure_reason = None
        component.status = "InService"
        self.placements.rebalance(component.backend, endpoint, self.components)

    def _roll_back(self, component: Component, now: float) -> None:
        """An alarm went off mid-update: the old copies come back.

        Assumption: that takes one update's duration, whatever RollbackMaximumBatchSize says."""
        complete = partial(_settle, component)
        self._begin(_Change(component, now + self._durations().update, complete), "Updating")

    # UpdateInferenceComponentRuntimeConfig

    def update_runtime_config(self, request: Request) -> Response:
        component = self.components.named(request.backend, request.params["InferenceComponentName"])
        _require_settled(component)
        _require_copies_of_its_own(component)
        self.set_copies(component, request.params["DesiredRuntimeConfig"]["CopyCount"], request.now)
        return json_response({"InferenceComponentArn": component.arn})

    def set_copies(self, component: Component, copies: int, now: float) -> None:
        """Ask for `copies` copies, as UpdateInferenceComponentRuntimeConfig and Application Auto
        Scaling do: DesiredCopyCount shows it at once, the copies follow when the change
        completes, as many as find room.

        Assumption: the component is Updating meanwhile; copies that find no room leave it
        InService with CurrentCopyCount below DesiredCopyCount (no FailureReason), and the
        instances managed scaling adds or releases for them are there when the change
        completes."""
        component.desired_copies = copies
        complete = partial(self._apply_copies, component, copies)
        self._begin(_Change(component, now + self._durations().update, complete), "Updating")

    def _apply_copies(self, component: Component, copies: int) -> None:
        component.target_copies = copies
        component.status = "InService"
        endpoint = component.backend.endpoints[component.endpoint_name]
        self.placements.rebalance(component.backend, endpoint, self.components)

    # DeleteInferenceComponent

    def delete(self, request: Request) -> Response:
        """Assumption: SageMaker refuses to delete a component still Creating (reported by users)
        or one that adapters use; the wording is the simulator's. A component being updated may
        be deleted, which ends the update."""
        component = self.components.named(request.backend, request.params["InferenceComponentName"])
        if component.status == "Deleting":
            # A repeated delete must not push back the moment the first one completes.
            return json_response({})
        if component.status == "Creating":
            raise validation(
                f'Cannot delete inference component "{component.arn}" while it is Creating.'
            )
        adapters = [c.name for c in self.components if c.base_name == component.name]
        if adapters:
            raise validation(
                f'Cannot delete inference component "{component.arn}" while adapter inference'
                f" components [{', '.join(adapters)}] use it."
            )
        due = request.now + self._durations().delete
        self._begin(_Change(component, due, partial(self._finish_delete, component)), "Deleting")
        return json_response({})

    def _finish_delete(self, component: Component) -> None:
        self.components.remove(component)
        endpoint = component.backend.endpoints.get(component.endpoint_name)
        if endpoint is not None:
            self.placements.rebalance(component.backend, endpoint, self.components)

    # Endpoint-side rules and tags

    def require_no_components(self, backend: SageMakerModelBackend, endpoint: FakeEndpoint) -> None:
        """Assumption: DeleteEndpoint is refused while any component, even one Deleting, remains
        on the endpoint (the message as users report it)."""
        if self.components.on_endpoint(backend, endpoint.endpoint_name):
            raise validation(f'{ENDPOINT_HAS_COMPONENTS}: "{endpoint.arn}".')

    def models_in_use(self, backend: SageMakerModelBackend) -> dict[str, list[str]]:
        """Model name -> the live components that run it."""
        used: dict[str, list[str]] = {}
        for component in self.components.of(backend):
            model = component.specification.get("ModelName")
            if model and component.status != "Deleting":
                used.setdefault(model, []).append(component.name)
        return used

    def tags(self, operation: str, request: Request) -> Response | None:
        """AddTags, ListTags and DeleteTags on a component's ARN; None for other ARNs."""
        params = request.params
        if not is_component_arn(params["ResourceArn"]):
            return None
        component = self.components.by_arn(params["ResourceArn"])
        if operation == "AddTags":
            component.tags.extend(params["Tags"])
            return json_response({"Tags": component.tags})
        if operation == "DeleteTags":
            component.tags = [t for t in component.tags if t["Key"] not in params["TagKeys"]]
            return json_response({})
        return json_response({"Tags": component.tags})


def _specification(params: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """(the specification the simulator runs, the list of them if one was given).

    Assumption: a request gives Specification or Specifications, never both (the API reference
    says so) nor neither; of a list, the simulator runs the first entry."""
    if ("Specification" in params) == ("Specifications" in params):
        raise validation("Specify exactly one of Specification and Specifications.")
    if "Specification" in params:
        return params["Specification"], None
    return params["Specifications"][0], params["Specifications"]


def _initial_copies(spec: dict[str, Any], runtime: dict[str, Any] | None) -> int:
    """Assumption: a component other than an adapter needs a RuntimeConfig, and an adapter
    takes none (it runs on its base component's copies)."""
    if spec.get("BaseInferenceComponentName"):
        if runtime is not None:
            raise validation("An adapter inference component takes no RuntimeConfig.")
        return 0
    if runtime is None:
        raise validation("The RuntimeConfig with a CopyCount is required.")
    if runtime["CopyCount"] < 1:
        raise validation(COPY_COUNT_ZERO)
    return runtime["CopyCount"]


def _require_model(backend: SageMakerModelBackend, name: str) -> None:
    if name not in backend._models:
        raise validation(_model_missing(backend, name))


def _model_missing(backend: SageMakerModelBackend, name: str) -> str:
    return f'Could not find model "{resources.arn(backend, "model", name)}".'


def _require_settled(component: Component) -> None:
    """Assumption: SageMaker refuses to change a component that is not InService, in the words
    it uses for endpoints."""
    timeline.require_settled("inference component", component.arn, component.status)


def _require_copies_of_its_own(component: Component) -> None:
    if component.base_name is not None:
        raise validation(
            f'Inference component "{component.name}" is an adapter: it runs on the copies of'
            f' "{component.base_name}", whose RuntimeConfig sets them.'
        )


def _insufficient(component: Component) -> str:
    return INSUFFICIENT_CAPACITY.format(
        copies=component.desired_copies,
        name=component.name,
        variant=component.variant_name,
        endpoint=component.endpoint_name,
    )


def _batches(copies: int, batch: dict[str, Any] | None) -> int:
    """How many batches a rolling update replaces `copies` copies in (one without a policy)."""
    if not batch or copies <= 0:
        return 1
    size = batch["Value"]
    if batch["Type"] == "CAPACITY_PERCENT":
        size = math.ceil(copies * batch["Value"] / 100)
    return math.ceil(copies / max(size, 1))


def _settle(component: Component) -> None:
    component.status = "InService"
