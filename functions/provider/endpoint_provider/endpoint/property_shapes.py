"""The shape of a Custom::SageMakerEndpoint's properties, generated from SageMaker's own API.

A native template ports by merging the Properties of AWS::SageMaker::Model, ::EndpointConfig
and ::Endpoint, so the resource's properties are the members of CreateModel,
CreateEndpointConfig and UpdateEndpoint side by side. The provider's own additions (variant
`Containers` and `AutoScaling`) and the names it derives itself (`ModelName`,
`EndpointConfigName`, `Tags` that leave room for its ownership tags) are declared below in the
same botocore form.
"""

from __future__ import annotations

from typing import Any

from endpoint_provider.naming import OWNERSHIP_TAG_COUNT
from endpoint_provider.property_shapes import (
    MODEL,
    PROVIDER,
    PROVIDER_OWNED,
    PropertySet,
    RequestSource,
    relaxed,
)

__all__ = ["CONFIG", "ENDPOINT", "MODEL", "PROPERTIES", "PROVIDER", "VARIANT"]

CONFIG, ENDPOINT = "config", "endpoint"
VARIANT = "CustomSageMakerEndpointProductionVariant"
VARIANT_LIST = "CustomSageMakerEndpointProductionVariantList"
CONTAINER_LIST = "CustomSageMakerEndpointContainerList"

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


def _custom_shapes(shapes: dict[str, Any]) -> dict[str, Any]:
    return {
        VARIANT: relaxed(
            shapes["ProductionVariant"], ("VariantName", "ModelName"), **_VARIANT_MEMBERS
        ),
        VARIANT_LIST: {**shapes["ProductionVariantList"], "member": {"shape": VARIANT}},
        CONTAINER_LIST: {**shapes["ContainerDefinitionList"], "min": 1},
    }


PROPERTIES = PropertySet(
    name="CustomSageMakerEndpoint",
    requests={
        MODEL: RequestSource("CreateModelInput", "Model"),
        CONFIG: RequestSource("CreateEndpointConfigInput", "EndpointConfig"),
        ENDPOINT: RequestSource("UpdateEndpointInput", "Endpoint"),
    },
    provider_members={
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
            "derived from the config's content (configs are immutable, each change needs a new "
            "one).",
        },
        "Tags": {
            "shape": "CustomSageMakerEndpointTagList",
            "documentation": "Tags on the endpoint, its config and models (the union of the "
            "native resources' Tags).",
        },
    },
    provider_filled=frozenset({"ModelName", "EndpointConfigName", "EndpointName", "Tags"}),
    required=("ProductionVariants",),
    ownership_tags=OWNERSHIP_TAG_COUNT,
    custom_shapes=_custom_shapes,
    member_shapes={
        "ProductionVariants": VARIANT_LIST,
        "ShadowProductionVariants": VARIANT_LIST,
        "Containers": CONTAINER_LIST,
    },
)
