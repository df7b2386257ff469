"""Every request a desired state leads to, checked against botocore's models before the first
change is made, for any resource type.

The properties were checked against SageMaker's shapes already; what is left to catch is what
the provider adds itself (derived names, ownership tags, the Application Auto Scaling and
CloudWatch requests it builds). Without this, botocore or the service would refuse one of those
requests after the first resources exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from endpoint_provider import scaling_requests
from endpoint_provider.api_shapes import request_problems, service_model
from endpoint_provider.property_errors import InvalidProperties
from endpoint_provider.scaling_requests import Scaling

SAGEMAKER = "sagemaker"
AUTOSCALING = "application-autoscaling"
CLOUDWATCH = "cloudwatch"
# Loaded at import, in Lambda's init phase, so that no request pays for reading the models.
for _service in (SAGEMAKER, AUTOSCALING, CLOUDWATCH):
    service_model(_service)

# (the property it comes from, or "" when the request carries the properties under their own
# paths; service; operation; request)
PlannedRequest = tuple[str, str, str, Mapping[str, Any]]


def check_requests(requests: list[PlannedRequest]) -> None:
    """Raises InvalidProperties with every problem of every request, if there is one."""
    problems = [
        f"{where}: {operation} {problem}" if where else f"{problem} (in {operation})"
        for where, service, operation, request in requests
        for problem in request_problems(service, operation, request)
    ]
    if problems:
        raise InvalidProperties(problems)


def scaling_requests_of(where: str, scaling: Scaling, stack_id: str) -> list[PlannedRequest]:
    """Every request that realises `scaling`, the property it comes from being `where`."""
    found: list[PlannedRequest] = [
        (where, AUTOSCALING, "RegisterScalableTarget", scaling_requests.scalable_target(scaling)),
        (where, AUTOSCALING, "PutScalingPolicy", scaling_requests.tracking_policy(scaling)),
    ]
    if scaling.from_zero:
        arn = scaling_requests.policy_arn(scaling, stack_id)
        found += [
            (
                where,
                AUTOSCALING,
                "PutScalingPolicy",
                scaling_requests.from_zero_policy(scaling, scaling.from_zero),
            ),
            (
                where,
                CLOUDWATCH,
                "PutMetricAlarm",
                scaling_requests.from_zero_alarm(scaling, scaling.from_zero, arn),
            ),
        ]
    return found
