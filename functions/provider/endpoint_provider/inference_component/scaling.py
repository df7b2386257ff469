"""A component's AutoScaling: target tracking on its copy count (scaling_requests) and, with a
minimum of zero copies, the way back from zero: SageMaker answers a request that finds no copy
with a "no capacity" error and counts it in NoCapacityInvocationFailures, whose alarm fires a
step policy adding a copy. Pure."""

from __future__ import annotations

from endpoint_provider.inference_component.properties import ComponentAutoScalingSpec
from endpoint_provider.scaling_requests import COMPONENT_COPIES as DIMENSION
from endpoint_provider.scaling_requests import FromZero, Scaling, predefined, tracking

__all__ = ["DIMENSION", "alarm_name", "component_scaling", "resource_id"]


def resource_id(component_name: str) -> str:
    return f"inference-component/{component_name}"


def alarm_name(component_name: str) -> str:
    """Component names are unique per account and region, and so is this."""
    return f"{component_name}-no-capacity"


def component_scaling(
    component_name: str, settings: ComponentAutoScalingSpec, tags: dict[str, str]
) -> Scaling:
    target, metric = settings.target
    return Scaling(
        resource_id=resource_id(component_name),
        dimension=DIMENSION,
        min_capacity=settings.MinCopies,
        max_capacity=settings.MaxCopies,
        tracking=tracking(
            target,
            predefined(metric),
            settings.ScaleInCooldown,
            settings.ScaleOutCooldown,
            settings.DisableScaleIn,
        ),
        alarm_name=alarm_name(component_name),
        from_zero=_from_zero(component_name, settings) if settings.MinCopies == 0 else None,
        tags=tags,
    )


def _from_zero(component_name: str, settings: ComponentAutoScalingSpec) -> FromZero:
    """Any request refused for lack of a copy brings one back. Without failures the alarm is
    OK again (missing data is not breaching), so it fires once per wave of refusals."""
    return FromZero(
        alarm={
            "AlarmDescription": "Scales an inference component out of zero copies",
            "Namespace": "AWS/SageMaker",
            "MetricName": "NoCapacityInvocationFailures",
            "Dimensions": [{"Name": "InferenceComponentName", "Value": component_name}],
            "Statistic": "Maximum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "DatapointsToAlarm": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
        cooldown=settings.ScaleOutCooldown or 60,
    )
