"""Every mutating request an inference component's desired state leads to, for the check before
the first change (request_check)."""

from __future__ import annotations

from endpoint_provider.inference_component.desired import ComponentState
from endpoint_provider.request_check import (
    SAGEMAKER,
    PlannedRequest,
    check_requests,
    scaling_requests_of,
)
from endpoint_provider.sagemaker_gateway import tag_list

# Stands in for the variant found on the endpoint when none is named: any valid name checks the
# rest of the request.
_SOME_VARIANT = "AllTraffic"


def checked(desired: ComponentState) -> ComponentState:
    """`desired`, if every request it leads to is valid; else InvalidProperties with all."""
    check_requests(requests_of(desired))
    return desired


def requests_of(desired: ComponentState) -> list[PlannedRequest]:
    tags = tag_list(desired.tags)
    found: list[PlannedRequest] = []
    if desired.model:
        found.append(("", SAGEMAKER, "CreateModel", {**desired.model.request, "Tags": tags}))
    create = desired.create_request(desired.variant_name or _SOME_VARIANT)
    found += [
        ("", SAGEMAKER, "CreateInferenceComponent", {**create, "Tags": tags}),
        ("", SAGEMAKER, "UpdateInferenceComponent", desired.update_request(desired.copies)),
    ]
    if desired.scaling:
        found += scaling_requests_of("AutoScaling", desired.scaling, desired.owner.stack_id)
    if desired.copies is not None:
        found.append(
            (
                "",
                SAGEMAKER,
                "UpdateInferenceComponentRuntimeConfig",
                {
                    "InferenceComponentName": desired.name,
                    "DesiredRuntimeConfig": {"CopyCount": desired.copies},
                },
            )
        )
    return found
