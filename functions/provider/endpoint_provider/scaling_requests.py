"""The Application Auto Scaling and CloudWatch requests that realise a variant's AutoScaling.
Pure: the requests are data, built here and sent by scaling_gateway."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from endpoint_provider.endpoint.desired import ScalingSpec

if TYPE_CHECKING:
    from types_boto3_application_autoscaling.type_defs import (
        PutScalingPolicyRequestTypeDef,
        RegisterScalableTargetRequestTypeDef,
    )
    from types_boto3_cloudwatch.type_defs import PutMetricAlarmInputTypeDef

NAMESPACE: Final = "sagemaker"
DIMENSION: Final = "sagemaker:variant:DesiredInstanceCount"
TRACKING_POLICY = "target-tracking"
FROM_ZERO_POLICY = "scale-out-from-zero"


def resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def variant_of(resource: str) -> str:
    return resource.rsplit("/", 1)[-1]


def scalable_target(endpoint_name: str, spec: ScalingSpec) -> RegisterScalableTargetRequestTypeDef:
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": resource_id(endpoint_name, spec.variant_name),
        "ScalableDimension": DIMENSION,
        "MinCapacity": spec.settings.MinCapacity,
        "MaxCapacity": spec.settings.MaxCapacity,
    }


def tracking_policy(endpoint_name: str, spec: ScalingSpec) -> dict[str, Any]:
    settings = spec.settings
    configuration: dict[str, Any] = {
        "TargetValue": _target_value(spec),
        "DisableScaleIn": settings.DisableScaleIn,
        **_metric(endpoint_name, spec),
    }
    if settings.ScaleInCooldown is not None:
        configuration["ScaleInCooldown"] = settings.ScaleInCooldown
    if settings.ScaleOutCooldown is not None:
        configuration["ScaleOutCooldown"] = settings.ScaleOutCooldown
    return {
        **_policy_target(endpoint_name, spec),
        "PolicyName": TRACKING_POLICY,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": configuration,
    }


def scales_to_zero(spec: ScalingSpec) -> bool:
    return spec.settings.MinCapacity == 0


def from_zero_policy(endpoint_name: str, spec: ScalingSpec) -> PutScalingPolicyRequestTypeDef:
    """Target tracking cannot leave zero instances (there is no per-instance backlog to
    track), so a step policy adds the first instance when requests wait without capacity."""
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": resource_id(endpoint_name, spec.variant_name),
        "ScalableDimension": DIMENSION,
        "PolicyName": FROM_ZERO_POLICY,
        "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Average",
            "Cooldown": spec.settings.ScaleOutCooldown or 60,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    }


def from_zero_alarm_name(endpoint_name: str, variant_name: str) -> str:
    return f"{endpoint_name}-{variant_name}-has-backlog-without-capacity"


def from_zero_alarm(
    endpoint_name: str, spec: ScalingSpec, policy_arn: str
) -> PutMetricAlarmInputTypeDef:
    return {
        "AlarmName": from_zero_alarm_name(endpoint_name, spec.variant_name),
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
        "AlarmActions": [policy_arn],
    }


def _policy_target(endpoint_name: str, spec: ScalingSpec) -> dict[str, str]:
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": resource_id(endpoint_name, spec.variant_name),
        "ScalableDimension": DIMENSION,
    }


def _target_value(spec: ScalingSpec) -> float:
    settings = spec.settings
    for value in (
        settings.TargetInvocationsPerInstance,
        settings.TargetBacklogPerInstance,
        settings.TargetValue,
    ):
        if value is not None:
            return value
    raise ValueError("AutoScaling without a target passed validation")


def _metric(endpoint_name: str, spec: ScalingSpec) -> dict[str, Any]:
    settings = spec.settings
    if settings.TargetInvocationsPerInstance is not None:
        return _predefined("SageMakerVariantInvocationsPerInstance")
    if settings.PredefinedMetricType:
        return _predefined(settings.PredefinedMetricType)
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


def _predefined(metric: str) -> dict[str, Any]:
    return {"PredefinedMetricSpecification": {"PredefinedMetricType": metric}}
