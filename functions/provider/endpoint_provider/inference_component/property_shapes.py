"""The shape of a Custom::SageMakerInferenceComponent's properties, generated from SageMaker's
own API: the members of CreateInferenceComponent and UpdateInferenceComponent (the native
AWS::SageMaker::InferenceComponent's properties), and those of CreateModel for a model the
provider makes from `PrimaryContainer` or `Containers`, as it does for endpoints.
"""

from __future__ import annotations

from endpoint_provider.naming import COMPONENT_OWNERSHIP_TAG_COUNT
from endpoint_provider.property_shapes import MODEL, PROVIDER_OWNED, PropertySet, RequestSource

__all__ = ["COMPONENT", "COMPONENT_UPDATE", "MODEL", "PROPERTIES"]

COMPONENT, COMPONENT_UPDATE = "component", "component-update"

PROPERTIES = PropertySet(
    name="CustomSageMakerInferenceComponent",
    requests={
        COMPONENT: RequestSource("CreateInferenceComponentInput", "InferenceComponent"),
        COMPONENT_UPDATE: RequestSource("UpdateInferenceComponentInput", "", updates=COMPONENT),
        MODEL: RequestSource("CreateModelInput", "Model"),
    },
    provider_members={
        "InferenceComponentName": {
            "shape": "InferenceComponentName",
            "documentation": "Component name; default derived from the stack, the logical ID, "
            "the endpoint and the variant, so that moving the component makes a new one.",
        },
        "EndpointName": {
            "shape": "EndpointName",
            "documentation": "The endpoint that hosts the component (an endpoint with no model "
            "of its own), typically `!GetAtt Endpoint.EndpointName`.",
        },
        "EndpointArn": {
            "shape": "EndpointArn",
            "documentation": "The native resource's EndpointArn, accepted when porting a native "
            "template: it must name the endpoint EndpointName names.",
        },
        "VariantName": {
            "shape": "VariantName",
            "documentation": "The endpoint's variant that hosts the component; default: the "
            "endpoint's only variant.",
        },
        "AutoScaling": {
            "shape": PROVIDER_OWNED,
            "documentation": "Target tracking on the copy count, down to zero copies.",
        },
        "Tags": {
            "shape": "CustomSageMakerInferenceComponentTagList",
            "documentation": "Tags on the component and the model made for it.",
        },
    },
    provider_filled=frozenset(
        {"InferenceComponentName", "EndpointName", "VariantName", "ModelName", "Tags"}
    ),
    required=("EndpointName",),
    ownership_tags=COMPONENT_OWNERSHIP_TAG_COUNT,
)
