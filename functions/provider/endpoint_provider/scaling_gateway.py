"""Application Auto Scaling of SageMaker resources, and the alarms that go with it: every call,
for endpoint variants and inference components alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from endpoint_common.observability import logger
from endpoint_provider import scaling_requests
from endpoint_provider.scaling_requests import NAMESPACE, Scaling

if TYPE_CHECKING:
    from types_boto3_application_autoscaling import ApplicationAutoScalingClient
    from types_boto3_application_autoscaling.literals import ScalableDimensionType
    from types_boto3_application_autoscaling.type_defs import ScalingPolicyTypeDef
    from types_boto3_cloudwatch import CloudWatchClient


class ScalingGateway:
    def __init__(self, autoscaling: ApplicationAutoScalingClient, cloudwatch: CloudWatchClient):
        self._autoscaling = autoscaling
        self._cloudwatch = cloudwatch

    def registered(self, prefix: str, dimension: ScalableDimensionType) -> set[str]:
        """The resource IDs registered in `dimension` that start with `prefix`."""
        pages = self._autoscaling.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=NAMESPACE
        )
        return {
            target["ResourceId"]
            for page in pages
            for target in page["ScalableTargets"]
            if target["ResourceId"].startswith(prefix) and target["ScalableDimension"] == dimension
        }

    def reconcile(
        self,
        registered: set[str],
        wanted: tuple[Scaling, ...],
        dimension: ScalableDimensionType,
        alarm_name_of: Callable[[str], str],
    ) -> None:
        """Makes a SageMaker resource's scaling exactly `wanted`: what is `registered` for it
        but no longer wanted goes first."""
        for stale in sorted(registered - {scaling.resource_id for scaling in wanted}):
            self.remove(stale, dimension, alarm_name_of(stale))
        for scaling in wanted:
            self.apply(scaling)

    def apply(self, scaling: Scaling) -> None:
        """Registers the target (unsuspended, so scaling resumes), its tracking policy, and
        the way back from zero exactly when its minimum is zero."""
        self._autoscaling.register_scalable_target(**scaling_requests.scalable_target(scaling))
        self._autoscaling.put_scaling_policy(**scaling_requests.tracking_policy(scaling))
        if scaling.from_zero:
            policy = self._autoscaling.put_scaling_policy(
                **scaling_requests.from_zero_policy(scaling, scaling.from_zero)
            )
            self._cloudwatch.put_metric_alarm(
                **scaling_requests.from_zero_alarm(scaling, scaling.from_zero, policy["PolicyARN"])
            )
        else:
            self._remove_from_zero(scaling)
        logger.info("autoscaling applied", resource=scaling.resource_id)

    def suspend(self, scaling: Scaling) -> None:
        """Scaling neither in nor out until `apply` resumes it."""
        self._autoscaling.register_scalable_target(
            **scaling_requests.scalable_target(scaling, suspended=True)
        )
        logger.info("autoscaling suspended", resource=scaling.resource_id)

    def remove(
        self, resource_id: str, dimension: ScalableDimensionType, from_zero_alarm: str
    ) -> None:
        """Policies first, then the target, as SageMaker's autoscaling guide orders it. The
        alarm goes before both: found only through a registered target, it would be left
        behind for good if removing it failed after the target was gone."""
        self._cloudwatch.delete_alarms(AlarmNames=[from_zero_alarm])
        for policy in self._policies(resource_id):
            self._autoscaling.delete_scaling_policy(
                ServiceNamespace=NAMESPACE,
                ResourceId=resource_id,
                ScalableDimension=policy["ScalableDimension"],
                PolicyName=policy["PolicyName"],
            )
        self._autoscaling.deregister_scalable_target(
            ServiceNamespace=NAMESPACE, ResourceId=resource_id, ScalableDimension=dimension
        )
        logger.info("autoscaling removed", resource=resource_id)

    def _remove_from_zero(self, scaling: Scaling) -> None:
        """The way back from zero of a resource whose minimum is no longer zero."""
        policies = {policy["PolicyName"] for policy in self._policies(scaling.resource_id)}
        if scaling_requests.FROM_ZERO_POLICY not in policies:
            return
        # The alarm first: the policy is what tells a later attempt that the alarm may exist.
        self._cloudwatch.delete_alarms(AlarmNames=[scaling.alarm_name])
        self._autoscaling.delete_scaling_policy(
            ServiceNamespace=NAMESPACE,
            ResourceId=scaling.resource_id,
            ScalableDimension=scaling.dimension,
            PolicyName=scaling_requests.FROM_ZERO_POLICY,
        )

    def firing_alarms(self, names: tuple[str, ...]) -> list[str]:
        if not names:
            return []
        alarms = self._cloudwatch.describe_alarms(AlarmNames=list(names))["MetricAlarms"]
        return [alarm["AlarmName"] for alarm in alarms if alarm["StateValue"] == "ALARM"]

    def _policies(self, resource_id: str) -> list[ScalingPolicyTypeDef]:
        return self._autoscaling.describe_scaling_policies(
            ServiceNamespace=NAMESPACE, ResourceId=resource_id
        )["ScalingPolicies"]
