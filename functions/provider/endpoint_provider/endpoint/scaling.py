"""A variant's AutoScaling: target tracking on its instance count (scaling_requests), and for an
async endpoint scaling to zero, the way back from it on HasBacklogWithoutCapacity. Pure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from endpoint_provider.endpoint.properties import AutoScalingSpec
from endpoint_provider.scaling_requests import VARIANT_INSTANCES as DIMENSION
from endpoint_provider.scaling_requests import FromZero, Scaling, predefined, tracking

__all__ = ["DIMENSION", "alarm_name", "prefix", "resource_id", "variant_of", "variant_scaling"]


def prefix(endpoint_name: str) -> str:
    """What the resource ID of every variant of the endpoint starts with."""
    return f"endpoint/{endpoint_name}/variant/"


def resource_id(endpoint_name: str, variant_name: str) -> str:
    return prefix(endpoint_name) + variant_name


def variant_of(resource: str) -> str:
    return resource.rsplit("/", 1)[-1]


def alarm_name(endpoint_name: str, variant_name: str) -> str:
    return f"{endpoint_name}-{variant_name}-has-backlog-without-capacity"


def alarm_name_of(endpoint_name: str) -> Callable[[str], str]:
    """The from-zero alarm's name of a variant, by its resource ID."""
    return lambda resource: alarm_name(endpoint_name, variant_of(resource))


def variant_scaling(
    endpoint_name: str, variant_name: str, settings: AutoScalingSpec, tags: dict[str, str]
) -> Scaling:
    return Scaling(
        resource_id=resource_id(endpoint_name, variant_name),
        dimension=DIMENSION,
        min_capacity=settings.MinCapacity,
        max_capacity=settings.MaxCapacity,
        tracking=tracking(
            _target_value(settings),
            _metric(endpoint_name, settings),
            settings.ScaleInCooldown,
            settings.ScaleOutCooldown,
            settings.DisableScaleIn,
        ),
        alarm_name=alarm_name(endpoint_name, variant_name),
        from_zero=_from_zero(endpoint_name, settings) if settings.MinCapacity == 0 else None,
        tags=tags,
    )


def _from_zero(endpoint_name: str, settings: AutoScalingSpec) -> FromZero:
    """Requests wait in an async endpoint's queue with no instance to take them."""
    return FromZero(
        alarm={
            "AlarmDescription": "Scales an async endpoint out of zero instances",
            "Namespace": "AWS/SageMaker",
            "MetricName": "HasBacklogWithoutCapacity",
            "Dimensions": [{"Name": "EndpointName", "Value": endpoint_name}],
            "Statistic": "Average",
            "Period": 60,
            "EvaluationPeriods": 2,
            "DatapointsToAlarm": 2,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "missing",
        },
        cooldown=settings.ScaleOutCooldown or 60,
    )


def _target_value(settings: AutoScalingSpec) -> float:
    for value in (
        settings.TargetInvocationsPerInstance,
        settings.TargetBacklogPerInstance,
        settings.TargetValue,
    ):
        if value is not None:
            return value
    raise ValueError("AutoScaling without a target passed validation")


def _metric(endpoint_name: str, settings: AutoScalingSpec) -> dict[str, Any]:
    if settings.TargetInvocationsPerInstance is not None:
        return predefined("SageMakerVariantInvocationsPerInstance")
    if settings.PredefinedMetricType:
        return predefined(settings.PredefinedMetricType)
    if settings.TargetBacklogPerInstance is not None:
        return {
            "CustomizedMetricSpecification": {
                "MetricName": "ApproximateBacklogSizePerInstance",
                "Namespace": "AWS/SageMaker",
                "Dimensions": [{"Name": "EndpointName", "Value": endpoint_name}],
                "Statistic": "Average",
            }
        }
    # The model admits exactly one of the three metric kinds.
    assert settings.CustomizedMetricSpecification is not None
    return {
        "CustomizedMetricSpecification": settings.CustomizedMetricSpecification.model_dump(
            exclude_none=True
        )
    }
