"""The Application Auto Scaling and CloudWatch requests that scale one SageMaker resource: an
endpoint variant's instances or an inference component's copies. Pure: the requests are data,
built here and sent by scaling_gateway.

Target tracking cannot leave zero (there is nothing per instance or per copy to track), so a
resource that may scale to zero also gets a step policy that adds one, fired by an alarm on the
metric SageMaker reports while requests find no capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from endpoint_provider.naming import StackLocation

if TYPE_CHECKING:
    from types_boto3_application_autoscaling.literals import ScalableDimensionType

NAMESPACE: Final = "sagemaker"
VARIANT_INSTANCES: Final = "sagemaker:variant:DesiredInstanceCount"
COMPONENT_COPIES: Final = "sagemaker:inference-component:DesiredCopyCount"
TRACKING_POLICY = "target-tracking"
FROM_ZERO_POLICY = "scale-out-from-zero"
_SUSPENSIONS = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended")
_SCHEDULED = "ScheduledScalingSuspended"


@dataclass(frozen=True)
class FromZero:
    """The alarm (a PutMetricAlarm request but its name, action and tags) that fires the step
    policy adding the first unit of capacity, and the policy's cooldown."""

    alarm: dict[str, Any]
    cooldown: int


@dataclass(frozen=True)
class Scaling:
    """What Application Auto Scaling should hold for one scalable resource."""

    resource_id: str
    dimension: ScalableDimensionType
    min_capacity: int
    max_capacity: int
    # TargetTrackingScalingPolicyConfiguration.
    tracking: dict[str, Any]
    # The name of the alarm that brings capacity back from zero, present or not.
    alarm_name: str
    # Present when the minimum is zero.
    from_zero: FromZero | None = None
    tags: dict[str, str] = field(default_factory=dict)


def scalable_target(scaling: Scaling, suspended: bool = False) -> dict[str, Any]:
    """RegisterScalableTarget's request. Suspended, target tracking neither scales in nor out
    (an update of the resource under way keeps the capacity scaling chose); registered again
    unsuspended, it resumes."""
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": scaling.resource_id,
        "ScalableDimension": scaling.dimension,
        "MinCapacity": scaling.min_capacity,
        "MaxCapacity": scaling.max_capacity,
        "SuspendedState": {**dict.fromkeys(_SUSPENSIONS, suspended), _SCHEDULED: suspended},
        "Tags": scaling.tags,
    }


def tracking_policy(scaling: Scaling) -> dict[str, Any]:
    return {
        **_policy_target(scaling),
        "PolicyName": TRACKING_POLICY,
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": scaling.tracking,
    }


def from_zero_policy(scaling: Scaling, from_zero: FromZero) -> dict[str, Any]:
    return {
        **_policy_target(scaling),
        "PolicyName": FROM_ZERO_POLICY,
        "PolicyType": "StepScaling",
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "MetricAggregationType": "Average",
            "Cooldown": from_zero.cooldown,
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    }


def from_zero_alarm(scaling: Scaling, from_zero: FromZero, policy_arn: str) -> dict[str, Any]:
    return {
        **from_zero.alarm,
        "AlarmName": scaling.alarm_name,
        "AlarmActions": [policy_arn],
        "Tags": [{"Key": key, "Value": value} for key, value in scaling.tags.items()],
    }


def policy_arn(scaling: Scaling, stack_id: str) -> str:
    """An ARN of the shape Application Auto Scaling returns for the step policy (its ID is
    Application Auto Scaling's), for checking the alarm's request before the policy exists."""
    where = StackLocation.of(stack_id)
    return (
        f"arn:{where.partition}:autoscaling:{where.region}:{where.account}:scalingPolicy:"
        f"00000000-0000-0000-0000-000000000000:resource/{NAMESPACE}/{scaling.resource_id}:"
        f"policyName/{FROM_ZERO_POLICY}"
    )


def tracking(
    target_value: float,
    metric: dict[str, Any],
    scale_in_cooldown: int | None,
    scale_out_cooldown: int | None,
    disable_scale_in: bool,
) -> dict[str, Any]:
    """TargetTrackingScalingPolicyConfiguration; `metric` is its predefined or customized
    metric specification."""
    configuration: dict[str, Any] = {
        "TargetValue": target_value,
        "DisableScaleIn": disable_scale_in,
        **metric,
    }
    if scale_in_cooldown is not None:
        configuration["ScaleInCooldown"] = scale_in_cooldown
    if scale_out_cooldown is not None:
        configuration["ScaleOutCooldown"] = scale_out_cooldown
    return configuration


def predefined(metric: str) -> dict[str, Any]:
    return {"PredefinedMetricSpecification": {"PredefinedMetricType": metric}}


def _policy_target(scaling: Scaling) -> dict[str, str]:
    return {
        "ServiceNamespace": NAMESPACE,
        "ResourceId": scaling.resource_id,
        "ScalableDimension": scaling.dimension,
    }
