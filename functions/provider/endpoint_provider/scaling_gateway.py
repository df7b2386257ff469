"""Application Auto Scaling for an endpoint's variants, and the alarms that go with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from endpoint_common.observability import logger
from endpoint_provider import scaling_requests
from endpoint_provider.endpoint.desired import ScalingSpec

if TYPE_CHECKING:
    from types_boto3_application_autoscaling import ApplicationAutoScalingClient
    from types_boto3_cloudwatch import CloudWatchClient


class ScalingGateway:
    def __init__(self, autoscaling: ApplicationAutoScalingClient, cloudwatch: CloudWatchClient):
        self._autoscaling = autoscaling
        self._cloudwatch = cloudwatch

    def registered_variants(self, endpoint_name: str) -> set[str]:
        prefix = scaling_requests.resource_id(endpoint_name, "")
        pages = self._autoscaling.get_paginator("describe_scalable_targets").paginate(
            ServiceNamespace=scaling_requests.NAMESPACE
        )
        return {
            scaling_requests.variant_of(target["ResourceId"])
            for page in pages
            for target in page["ScalableTargets"]
            if target["ResourceId"].startswith(prefix)
            and target["ScalableDimension"] == scaling_requests.DIMENSION
        }

    def reconcile(self, endpoint_name: str, specs: tuple[ScalingSpec, ...]) -> None:
        """Makes the endpoint's scaling exactly `specs`: stale variants lose theirs first."""
        wanted = {spec.variant_name for spec in specs}
        for variant in sorted(self.registered_variants(endpoint_name) - wanted):
            self.remove(endpoint_name, variant)
        for spec in specs:
            self._apply(endpoint_name, spec)

    def remove(self, endpoint_name: str, variant_name: str) -> None:
        """Policies first, then the target, as SageMaker's autoscaling guide orders it. The
        alarm goes before both: found only through a registered target, it would be left
        behind for good if removing it failed after the target was gone."""
        resource = scaling_requests.resource_id(endpoint_name, variant_name)
        self._cloudwatch.delete_alarms(
            AlarmNames=[scaling_requests.from_zero_alarm_name(endpoint_name, variant_name)]
        )
        policies = self._autoscaling.describe_scaling_policies(
            ServiceNamespace=scaling_requests.NAMESPACE, ResourceId=resource
        )["ScalingPolicies"]
        for policy in policies:
            self._autoscaling.delete_scaling_policy(
                ServiceNamespace=scaling_requests.NAMESPACE,
                ResourceId=resource,
                ScalableDimension=policy["ScalableDimension"],
                PolicyName=policy["PolicyName"],
            )
        self._autoscaling.deregister_scalable_target(
            ServiceNamespace=scaling_requests.NAMESPACE,
            ResourceId=resource,
            ScalableDimension=scaling_requests.DIMENSION,
        )
        logger.info("autoscaling removed", resource=resource)

    def firing_alarms(self, names: tuple[str, ...]) -> list[str]:
        if not names:
            return []
        alarms = self._cloudwatch.describe_alarms(AlarmNames=list(names))["MetricAlarms"]
        return [alarm["AlarmName"] for alarm in alarms if alarm["StateValue"] == "ALARM"]

    def _apply(self, endpoint_name: str, spec: ScalingSpec) -> None:
        self._autoscaling.register_scalable_target(
            **scaling_requests.scalable_target(endpoint_name, spec)
        )
        self._autoscaling.put_scaling_policy(
            **scaling_requests.tracking_policy(endpoint_name, spec)
        )
        if scaling_requests.scales_to_zero(spec):
            policy = self._autoscaling.put_scaling_policy(
                **scaling_requests.from_zero_policy(endpoint_name, spec)
            )
            self._cloudwatch.put_metric_alarm(
                **scaling_requests.from_zero_alarm(endpoint_name, spec, policy["PolicyARN"])
            )
        else:
            self._remove_from_zero(endpoint_name, spec.variant_name)
        logger.info("autoscaling applied", variant=spec.variant_name, endpoint=endpoint_name)

    def _remove_from_zero(self, endpoint_name: str, variant_name: str) -> None:
        resource = scaling_requests.resource_id(endpoint_name, variant_name)
        policies = self._autoscaling.describe_scaling_policies(
            ServiceNamespace=scaling_requests.NAMESPACE, ResourceId=resource
        )["ScalingPolicies"]
        if scaling_requests.FROM_ZERO_POLICY not in {policy["PolicyName"] for policy in policies}:
            return
        # The alarm first: the policy is what tells a later attempt that the alarm may exist.
        self._cloudwatch.delete_alarms(
            AlarmNames=[scaling_requests.from_zero_alarm_name(endpoint_name, variant_name)]
        )
        self._autoscaling.delete_scaling_policy(
            ServiceNamespace=scaling_requests.NAMESPACE,
            ResourceId=resource,
            ScalableDimension=scaling_requests.DIMENSION,
            PolicyName=scaling_requests.FROM_ZERO_POLICY,
        )
