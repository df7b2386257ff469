"""Every request a DesiredState leads to, checked against botocore's models before the first
change is made.

The properties were checked against SageMaker's shapes already; what is left to catch is what
the provider adds itself (derived names, ownership tags, the Application Auto Scaling and
CloudWatch requests built from AutoScaling). Without this, botocore or the service would refuse
one of those requests after the model and config exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from endpoint_provider import scaling_requests
from endpoint_provider.api_shapes import request_problems, service_model
from endpoint_provider.desired import DesiredState, ScalingSpec
from endpoint_provider.naming import StackLocation
from endpoint_provider.properties import InvalidProperties

SAGEMAKER = "sagemaker"
AUTOSCALING = "application-autoscaling"
CLOUDWATCH = "cloudwatch"
# Loaded at import, in Lambda's init phase, so that no request pays for reading the models.
for _service in (SAGEMAKER, AUTOSCALING, CLOUDWATCH):
    service_model(_service)


def checked(desired: DesiredState) -> DesiredState:
    """`desired`, if every request it leads to is valid; else InvalidProperties with all."""
    problems = [
        f"{where}: {operation} {problem}" if where else f"{problem} (in {operation})"
        for where, service, operation, request in requests_of(desired)
        for problem in request_problems(service, operation, request)
    ]
    if problems:
        raise InvalidProperties(problems)
    return desired


def requests_of(desired: DesiredState) -> list[tuple[str, str, str, Mapping[str, Any]]]:
    """(the property it comes from, service, operation, request) for every mutating request
    the provider may send for `desired`. SageMaker's requests carry the properties under their
    own paths, so they need no property named."""
    tags = [{"Key": key, "Value": value} for key, value in desired.tags.items()]
    endpoint = {"EndpointName": desired.endpoint_name, "EndpointConfigName": desired.config.name}
    found: list[tuple[str, str, str, Mapping[str, Any]]] = [
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


def _scaling_requests(
    desired: DesiredState, spec: ScalingSpec
) -> list[tuple[str, str, str, Mapping[str, Any]]]:
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
