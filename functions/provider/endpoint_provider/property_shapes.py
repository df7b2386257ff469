"""The shape of a Custom::SageMakerEndpoint's properties, generated from SageMaker's own API.

A native template ports by merging the Properties of AWS::SageMaker::Model, ::EndpointConfig
and ::Endpoint, so the resource's properties are the members of CreateModel,
CreateEndpointConfig and UpdateEndpoint side by side, read from the service model botocore
ships: a field SageMaker adds is accepted, checked and delivered with no change here. Where two
requests share a member name, the model's keeps it and the other request's gets its resource's
name in front (`EndpointConfigExecutionRoleArn`). The provider's own additions (variant
`Containers` and `AutoScaling`, `ServiceTimeout`) and the names it derives itself (`ModelName`,
`EndpointConfigName`, `Tags` that leave room for its ownership tags) are declared below in the
same botocore form, so one walker checks all of it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.model import Shape, ShapeResolver

from endpoint_provider.api_shapes import service_description
from endpoint_provider.naming import OWNERSHIP_TAG_COUNT

PROPERTIES = "CustomSageMakerEndpointProperties"
VARIANT = "CustomSageMakerEndpointProductionVariant"
VARIANT_LIST = "CustomSageMakerEndpointProductionVariantList"
CONTAINER_LIST = "CustomSageMakerEndpointContainerList"
TAG_LIST = "CustomSageMakerEndpointTagList"
PROVIDER_OWNED = "CustomSageMakerEndpointProviderOwned"

MODEL, CONFIG, ENDPOINT, PROVIDER = "model", "config", "endpoint", "provider"
# Request -> (input shape, what a colliding member is prefixed with).
REQUESTS = {
    MODEL: ("CreateModelInput", "Model"),
    CONFIG: ("CreateEndpointConfigInput", "EndpointConfig"),
    ENDPOINT: ("UpdateEndpointInput", "Endpoint"),
}
# Members the provider fills in itself on every request.
PROVIDER_FILLED = {"ModelName", "EndpointConfigName", "EndpointName", "Tags"}
# SageMaker allows 50 tags per resource; the provider adds its ownership tags to each.
MAX_TAGS = 50

_PROVIDER_MEMBERS: dict[str, dict[str, Any]] = {
    "ServiceToken": {
        "shape": "CustomSageMakerEndpointServiceToken",
        "documentation": "The provider's ARN (the stack export).",
    },
    "ServiceTimeout": {
        "shape": "CustomSageMakerEndpointServiceTimeout",
        "documentation": "Seconds CloudFormation waits for each operation (default 3600).",
    },
    "EndpointName": {
        "shape": "EndpointName",
        "documentation": "Endpoint name; default derived from the stack and logical ID.",
    },
    "ModelName": {
        "shape": "ModelName",
        "documentation": "The native Model's name: a variant whose ModelName equals it serves "
        "this resource's model. The model itself is named from its content.",
    },
    "EndpointConfigName": {
        "shape": "EndpointConfigName",
        "documentation": "The native EndpointConfig's name: checked, then replaced by a name "
        "derived from the config's content (configs are immutable, each change needs a new one).",
    },
    "Tags": {
        "shape": TAG_LIST,
        "documentation": "Tags on the endpoint, its config and models (the union of the native "
        "resources' Tags).",
    },
}

_VARIANT_MEMBERS: dict[str, dict[str, Any]] = {
    "Containers": {
        "shape": CONTAINER_LIST,
        "documentation": "This variant's own model (1-15 containers) instead of the resource's.",
    },
    "ModelName": {
        "shape": "ModelName",
        "documentation": "An existing model to serve (used, never deleted), or the resource's "
        "own ModelName.",
    },
    "AutoScaling": {
        "shape": PROVIDER_OWNED,
        "documentation": "Target-tracking autoscaling of the instance count.",
    },
}


@dataclass(frozen=True)
class Route:
    """Where a top-level property goes: which request, under which member name."""

    request: str
    member: str


def _sagemaker_shapes() -> dict[str, Any]:
    shapes: dict[str, Any] = service_description("sagemaker")["shapes"]
    return shapes


@cache
def routes() -> dict[str, Route]:
    """Every top-level property and the request member it becomes."""
    shapes = _sagemaker_shapes()
    found = {name: Route(PROVIDER, name) for name in _PROVIDER_MEMBERS}
    for request, (input_name, prefix) in REQUESTS.items():
        for member in shapes[input_name]["members"]:
            if member in PROVIDER_FILLED:
                continue
            name = member if member not in found else prefix + member
            found[name] = Route(request, member)
    return found


@cache
def resolver() -> ShapeResolver:
    shapes = dict(_sagemaker_shapes())
    variant = copy.deepcopy(shapes["ProductionVariant"])
    variant["required"] = [
        name for name in variant.get("required", []) if name not in ("VariantName", "ModelName")
    ]
    variant["members"] = {**variant["members"], **_VARIANT_MEMBERS}
    members = {}
    for name, route in routes().items():
        if route.request == PROVIDER:
            members[name] = _PROVIDER_MEMBERS[name]
            continue
        ref = dict(shapes[REQUESTS[route.request][0]]["members"][route.member])
        if route.member in ("ProductionVariants", "ShadowProductionVariants"):
            ref["shape"] = VARIANT_LIST
        if route.member == "Containers":
            ref["shape"] = CONTAINER_LIST
        members[name] = ref
    shapes.update(
        {
            PROPERTIES: {
                "type": "structure",
                "required": ["ProductionVariants"],
                "members": members,
            },
            VARIANT: variant,
            VARIANT_LIST: {**shapes["ProductionVariantList"], "member": {"shape": VARIANT}},
            CONTAINER_LIST: {**shapes["ContainerDefinitionList"], "min": 1},
            TAG_LIST: {**shapes["TagList"], "max": MAX_TAGS - OWNERSHIP_TAG_COUNT},
            PROVIDER_OWNED: {"type": "structure", "members": {}, "document": True},
            "CustomSageMakerEndpointServiceToken": {"type": "string"},
            "CustomSageMakerEndpointServiceTimeout": {"type": "integer", "min": 1, "max": 3600},
        }
    )
    return ShapeResolver(shapes)


def properties_shape() -> Shape:
    return resolver().get_shape_by_name(PROPERTIES)
