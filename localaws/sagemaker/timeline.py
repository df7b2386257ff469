"""Each endpoint's documented status timeline: Creating, Updating (deployments, rollbacks,
capacity changes) and Deleting, each completing at a due time unless alarms roll it back, and
the rules that refuse a change before it starts.

Status changes edit the endpoint moto stores, so that moto's own DescribeEndpoint and
ListEndpoints keep answering with the simulated state. Application Auto Scaling and CloudWatch
are read from moto's backends in the same process, as SageMaker consults those services:
scalable targets pin a variant's instance type, and alarms roll updates back.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

# Imported here, not on first use: the import takes about a second, which would otherwise land
# inside the first UpdateEndpoint and outlast a short simulated update.
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
from moto.core.utils import utcnow
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend

from localaws.sagemaker.hosting import summary_fields
from localaws.sagemaker.resources import arn, images, shadow_variants, variants
from localaws.sagemaker.wire import validation

# Statuses in which SageMaker refuses DeleteEndpoint; UpdateEndpoint needs InService.
IN_PROGRESS_STATUSES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
HEALTH_CHECK_FAILURE = (
    "The primary container for production variant {variant} did not pass the ping health "
    "check. Please check CloudWatch logs for this endpoint."
)
ALARM_ROLLBACK = (
    "Rolled back the update because CloudWatch alarm(s) [{alarms}] went into ALARM state."
)
SCALABLE_VARIANTS = (
    'The variant(s) "[{variants}]" must be deregistered as scalable targets with AWS Application'
    " Auto Scaling before they can be removed or have their instance type updated."
)
# VariantPropertyType, also a field of DesiredWeightAndCapacity -> the (current, desired) fields
# of a variant summary that carry it.
VARIANT_PROPERTY_FIELDS = {
    "DesiredInstanceCount": ("CurrentInstanceCount", "DesiredInstanceCount"),
    "DesiredWeight": ("CurrentWeight", "DesiredWeight"),
}
_RETAINABLE_PROPERTIES = frozenset({*VARIANT_PROPERTY_FIELDS, "DataCaptureConfig"})


@dataclass
class _Transition:
    """A status change of one endpoint that completes once the clock reaches `due`, unless one
    of the alarms that `firing_alarms` names goes off before."""

    endpoint: FakeEndpoint
    due: float
    complete: Callable[[], object]
    firing_alarms: Callable[[], list[str]] = list


class Timeline:
    """The pending status change of every endpoint, one each; time moves only when `advance`
    is called."""

    def __init__(self) -> None:
        self._transitions: dict[str, _Transition] = {}

    def begin(
        self,
        endpoint: FakeEndpoint,
        status: str,
        due: float,
        complete: Callable[[], object],
        firing_alarms: Callable[[], list[str]] = list,
    ) -> None:
        endpoint.endpoint_status = status
        endpoint.last_modified_time = utcnow()
        self._transitions[endpoint.arn] = _Transition(endpoint, due, complete, firing_alarms)

    def advance(self, now: float, rollback_seconds: float) -> None:
        """Completes the changes due by `now`; rolls back, over `rollback_seconds`, those whose
        alarms fire."""
        for endpoint_arn, transition in list(self._transitions.items()):
            if transition.due <= now:
                del self._transitions[endpoint_arn]
                # The change happened at `due`, not when somebody first looked.
                elapsed = timedelta(seconds=now - transition.due)
                transition.endpoint.last_modified_time = utcnow() - elapsed
                transition.complete()
            elif alarms := transition.firing_alarms():
                reason = ALARM_ROLLBACK.format(alarms=", ".join(alarms))
                complete = partial(finish_rollback, transition.endpoint, reason)
                self.begin(transition.endpoint, "RollingBack", now + rollback_seconds, complete)

    def clear(self) -> None:
        self._transitions.clear()


def finish_create(endpoint: FakeEndpoint, failure: str | None) -> None:
    endpoint.endpoint_status = "Failed" if failure else "InService"
    endpoint.failure_reason = failure


def finish_update(
    endpoint: FakeEndpoint,
    config: FakeEndpointConfig,
    failure: str | None,
    retained: frozenset[str],
) -> None:
    if failure:
        # Blue/green deployments roll back: the old fleet keeps serving the old config.
        finish_rollback(endpoint, f"Failed to update endpoint: {failure}")
        return
    endpoint.pending_deployment_summary = None
    endpoint.endpoint_status = "InService"
    endpoint.failure_reason = None
    deploy(endpoint, config, retained)


def finish_rollback(endpoint: FakeEndpoint, reason: str) -> None:
    endpoint.pending_deployment_summary = None
    endpoint.endpoint_status = "InService"
    endpoint.failure_reason = reason


def finish_scaling(endpoint: FakeEndpoint) -> None:
    endpoint.endpoint_status = "InService"
    for summary in endpoint.production_variants:
        for current, desired in VARIANT_PROPERTY_FIELDS.values():
            if desired in summary:
                summary[current] = summary[desired]


def failure_reason(
    backend: SageMakerModelBackend, config: FakeEndpointConfig, failing_image_marker: str
) -> str | None:
    """Why deploying `config` fails, if it does: a model gone, or an image the settings mark as
    failing its health check."""
    for variant in variants(config):
        if "ModelName" not in variant:
            # Variants that host inference components run no model of their own.
            continue
        model = backend._models.get(variant["ModelName"])
        if model is None:
            return f'Could not find model "{arn(backend, "model", variant["ModelName"])}".'
        if any(failing_image_marker in image for image in images(model)):
            return HEALTH_CHECK_FAILURE.format(variant=variant["VariantName"])
    return None


def deploy(
    endpoint: FakeEndpoint, config: FakeEndpointConfig, retained: frozenset[str] = frozenset()
) -> None:
    """Make DescribeEndpoint show `config`, keeping the `retained` variant properties."""
    endpoint.endpoint_config_name = config.endpoint_config_name
    endpoint.production_variants = _summaries(
        endpoint, config.production_variants, endpoint.production_variants, retained
    )
    current_shadows = getattr(endpoint, "shadow_production_variants", None) or []
    shadows = _summaries(endpoint, shadow_variants(config), current_shadows, retained)
    endpoint.shadow_production_variants = shadows or None
    endpoint.async_inference_config = config.async_inference_config
    if "DataCaptureConfig" not in retained:
        endpoint.data_capture_config = config.data_capture_config


def _summaries(
    endpoint: FakeEndpoint,
    variants: list[dict[str, Any]],
    current: list[dict[str, Any]],
    retained: frozenset[str],
) -> list[dict[str, Any]]:
    """DescribeEndpoint's summaries of `variants`, with the `retained` properties of the
    `current` summary of the same name where there is one."""
    kept_fields = [
        name
        for prop in retained & VARIANT_PROPERTY_FIELDS.keys()
        for name in VARIANT_PROPERTY_FIELDS[prop]
    ]
    current_by_name = {summary["VariantName"]: summary for summary in current}
    # The same derivation moto applies at creation, so Describe keeps one shape.
    summaries = endpoint._process_production_variants(variants)
    for summary, variant in zip(summaries, variants, strict=True):
        summary.update(summary_fields(variant))
        kept = current_by_name.get(summary["VariantName"], {})
        summary.update({name: kept[name] for name in kept_fields if name in kept})
    return summaries


def summaries_named(endpoint: FakeEndpoint, names: list[str]) -> list[dict[str, Any]]:
    by_name = {summary["VariantName"]: summary for summary in endpoint.production_variants}
    for index, name in enumerate(names):
        if name in names[:index]:
            raise validation(f'The variant name "{name}" was non-unique within the request.')
        if name not in by_name:
            raise validation(
                f'The variant name(s) "{name}" is/are not present within endpoint configuration'
                f' "{endpoint.endpoint_config_name}".'
            )
    return [by_name[name] for name in names]


def retained_properties(params: dict[str, Any]) -> frozenset[str]:
    if not params.get("RetainAllVariantProperties"):
        return frozenset()
    excluded = params.get("ExcludeRetainedVariantProperties", [])
    return _RETAINABLE_PROPERTIES - {prop["VariantPropertyType"] for prop in excluded}


def require_updatable(endpoint: FakeEndpoint) -> None:
    require_settled("endpoint", endpoint.arn, endpoint.endpoint_status)


def require_settled(kind: str, resource_arn: str, status: str) -> None:
    """Refuse to change a `kind` of resource (endpoint, inference component) unless InService."""
    if status == "Failed":
        raise validation(
            f'Cannot update {kind} "{resource_arn}" because it is in Failed status.'
            f" A failed {kind} can only be deleted."
        )
    if status != "InService":
        raise validation(f'Cannot update in-progress {kind} "{resource_arn}".')


def require_unscaled(
    backend: SageMakerModelBackend, endpoint: FakeEndpoint, config: FakeEndpointConfig
) -> None:
    """Refuse to remove, or change the instance type of, a variant that Application Auto
    Scaling scales."""
    running = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    if running is None:
        # A configuration deleted under a live endpoint leaves nothing to compare with.
        return
    old, new = _instance_types(running), _instance_types(config)
    scaled = _scalable_variants(backend, endpoint.endpoint_name)
    blocked = [
        name
        for name, instance_type in old.items()
        if name in scaled and (name not in new or new[name] != instance_type)
    ]
    if blocked:
        raise validation(SCALABLE_VARIANTS.format(variants=", ".join(blocked)))


def _instance_types(config: FakeEndpointConfig) -> dict[str, str | None]:
    return {variant["VariantName"]: variant.get("InstanceType") for variant in variants(config)}


def _scalable_variants(backend: SageMakerModelBackend, endpoint_name: str) -> set[str]:
    autoscaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
    prefix = f"endpoint/{endpoint_name}/variant/"
    targets = autoscaling.describe_scalable_targets("sagemaker", None, None)
    return {t.resource_id.removeprefix(prefix) for t in targets if t.resource_id.startswith(prefix)}


def alarm_watch(
    backend: SageMakerModelBackend, deployment: dict[str, Any]
) -> Callable[[], list[str]]:
    """What reports the deployment's rollback alarms that are in ALARM."""
    alarms = deployment.get("AutoRollbackConfiguration", {}).get("Alarms", [])
    cloudwatch = cloudwatch_backends[backend.account_id][backend.region_name]
    return partial(_alarms_in_alarm, cloudwatch, [alarm["AlarmName"] for alarm in alarms])


def _alarms_in_alarm(cloudwatch: CloudWatchBackend, names: list[str]) -> list[str]:
    alarms = cloudwatch.get_alarms_by_alarm_names(names)
    return [alarm.name for alarm in alarms if alarm.state_value == "ALARM"]


def deployment_plan(deployment: dict[str, Any]) -> tuple[int, float, float]:
    """(traffic shifting steps, bake seconds after each, seconds before the old fleet goes)"""
    if rolling := deployment.get("RollingUpdatePolicy"):
        return 2, rolling.get("WaitIntervalInSeconds", 0), 0
    blue_green = deployment.get("BlueGreenUpdatePolicy", {})
    routing = blue_green.get("TrafficRoutingConfiguration", {})
    return (
        _traffic_steps(routing),
        routing.get("WaitIntervalInSeconds", 0),
        blue_green.get("TerminationWaitInSeconds", 0),
    )


def _traffic_steps(routing: dict[str, Any]) -> int:
    if routing.get("Type") == "CANARY":
        return 2
    if routing.get("Type") == "LINEAR":
        step = routing.get("LinearStepSize", {})
        if step.get("Type") == "CAPACITY_PERCENT":
            return math.ceil(100 / step["Value"])
        # Steps of some instances depend on the fleet's size, which the simulator ignores.
        return 2
    return 1
