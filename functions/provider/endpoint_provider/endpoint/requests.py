"""Every mutating request an endpoint's desired state leads to, for the check before the first
change (request_check)."""

from __future__ import annotations

from endpoint_provider.endpoint.desired import DesiredState
from endpoint_provider.endpoint.scaling import variant_of
from endpoint_provider.request_check import (
    SAGEMAKER,
    PlannedRequest,
    check_requests,
    scaling_requests_of,
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
    for scaling in desired.scaling:
        where = f"{_variant_path(desired, variant_of(scaling.resource_id))}.AutoScaling"
        found += scaling_requests_of(where, scaling, desired.owner.stack_id)
    return found


def _variant_path(desired: DesiredState, variant_name: str) -> str:
    for field in ("ProductionVariants", "ShadowProductionVariants"):
        for index, variant in enumerate(desired.config.request.get(field, [])):
            if variant["VariantName"] == variant_name:
                return f"{field}[{index}]"
    return f"variant {variant_name}"
