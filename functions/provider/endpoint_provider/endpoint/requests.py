"""Every mutating request an endpoint's desired state leads to, for the check before the first
change (request_check)."""

from __future__ import annotations

from endpoint_provider import scaling_requests
from endpoint_provider.endpoint.desired import DesiredState, ScalingSpec
from endpoint_provider.naming import StackLocation
from endpoint_provider.request_check import (
    AUTOSCALING,
    CLOUDWATCH,
    SAGEMAKER,
    PlannedRequest,
    check_requests,
)
from endpoint_provider.sagemaker_gateway import tag_list


def checked(desired: DesiredState) -> DesiredState:
    """`desired`, if every request it leads to is valid; else InvalidProperties with all."""
    check_requests(requests_of(desired))
    return desired


def requests_of(desired: DesiredState) -> list[PlannedRequest]:
    """Every mutating request the provider may send for `desired`."""
    tags = tag_list(desired.tags)
    endpoint = {"EndpointName": desired.endpoint_name, "EndpointConfigName": desired.config.name}
    found: list[PlannedRequest] = [
        ("", SAGEMAKER, "CreateModel", {**m.request, "Tags": tags}) for m in desired.models
    ]
    found += [
        ("", SAGEMAKER, "CreateEndpointConfig", {**desired.config.request, "Tags": tags}),
        ("", SAGEMAKER, "CreateEndpoint", {**endpoint, "Tags": tags}),
        ("", SAGEMAKER, "UpdateEndpoint", {**endpoint, **desired.update_options}),
    ]
    for spec in desired.scaling:
        found += _scaling_requests(desired, spec)
    return found


def _scaling_requests(desired: DesiredState, spec: ScalingSpec) -> list[PlannedRequest]:
    where = f"{_variant_path(desired, spec.variant_name)}.AutoScaling"
    name = desired.endpoint_name
    found = [
        (
            where,
            AUTOSCALING,
            "RegisterScalableTarget",
            scaling_requests.scalable_target(name, spec),
        ),
        (where, AUTOSCALING, "PutScalingPolicy", scaling_requests.tracking_policy(name, spec)),
    ]
    if scaling_requests.scales_to_zero(spec):
        policy_arn = _policy_arn(desired, spec)
        found += [
            (where, AUTOSCALING, "PutScalingPolicy", scaling_requests.from_zero_policy(name, spec)),
            (
                where,
                CLOUDWATCH,
                "PutMetricAlarm",
                scaling_requests.from_zero_alarm(name, spec, policy_arn),
            ),
        ]
    return found


def _variant_path(desired: DesiredState, variant_name: str) -> str:
    for field in ("ProductionVariants", "ShadowProductionVariants"):
        for index, variant in enumerate(desired.config.request.get(field, [])):
            if variant["VariantName"] == variant_name:
                return f"{field}[{index}]"
    return f"variant {variant_name}"


def _policy_arn(desired: DesiredState, spec: ScalingSpec) -> str:
    """An ARN of the shape Application Auto Scaling will return, for the alarm's action."""
    where = StackLocation.of(desired.owner.stack_id)
    resource = scaling_requests.resource_id(desired.endpoint_name, spec.variant_name)
    return (
        f"arn:{where.partition}:autoscaling:{where.region}:{where.account}:scalingPolicy:"
        f"00000000-0000-0000-0000-000000000000:resource/{scaling_requests.NAMESPACE}/{resource}:"
        f"policyName/{scaling_requests.FROM_ZERO_POLICY}"
    )
