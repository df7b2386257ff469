"""Property paths of the native resources and of SageMaker's requests, and what becomes of each.

A case is one path: a property set is built with that path set to a valid value (every scalar
then turned into a string, as CloudFormation sends it), run through the provider's parsing,
desired state and request check, and the value is looked for in the request it belongs to.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape
from botocore.validate import ParamValidator
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from endpoint_provider.api_shapes import input_shape, service_model
from endpoint_provider.endpoint import desired as endpoint_desired
from endpoint_provider.endpoint import properties as endpoint_properties
from endpoint_provider.endpoint import property_shapes as endpoint_shapes
from endpoint_provider.endpoint import requests as endpoint_requests
from endpoint_provider.inference_component import desired as component_desired
from endpoint_provider.inference_component import properties as component_properties
from endpoint_provider.inference_component import property_shapes as component_shapes
from endpoint_provider.inference_component import requests as component_requests
from endpoint_provider.property_errors import InvalidProperties
from endpoint_provider.property_shapes import MODEL, PROVIDER, PropertySet
from tests.conformance.shape_values import example

REGION = "us-east-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/churn/1"
DEFAULT_ROLE = "arn:aws:iam::123456789012:role/provider-default"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu"
MAX_DEPTH = 12
# What the tests found, for the run's summary (conftest.py prints it), per resource type.
FIGURES: Counter[str] = Counter()
ALLOWED: dict[str, str] = {}
_SAGEMAKER_OPERATIONS = frozenset(service_model("sagemaker").operation_names)


@dataclass(frozen=True)
class Kind:
    """One resource type, as the parity test builds and checks its property sets."""

    resource_type: str
    properties: PropertySet
    # Native resource type -> the request its properties go to.
    native: dict[str, str]
    # Request -> the operations that carry its members.
    operations: dict[str, list[str]]
    # Request -> the operation a member's value is looked for in.
    delivered_in: dict[str, str]
    # Accepted, but deliberately not sent as given: the short, reasoned allow-list.
    not_delivered: dict[str, str]
    # Members a rule across members needs, added wherever the test creates such a structure.
    extra_members: dict[str, dict[str, Any]]
    base: Callable[[str], dict[str, Any]]
    desired: Callable[[Any], Any]
    requests_of: Callable[[Any], list[tuple[str, str, str, Any]]]


@dataclass(frozen=True)
class Case:
    kind: Kind
    source: str
    path: str  # as written in the native resource or the API request
    merged: str  # as written in the custom resource


@dataclass
class Outcome:
    accepted: bool
    delivered: bool
    invalid_requests: int
    detail: str = ""


def _endpoint_base(merged: str) -> dict[str, Any]:
    """A minimal valid endpoint, arranged so the path's own rules can hold."""
    variant = {"VariantName": "AllTraffic", "InstanceType": "ml.m5.large"}
    properties: dict[str, Any] = {
        "PrimaryContainer": {"Image": IMAGE},
        "ProductionVariants": [{**variant, "InitialInstanceCount": 1}],
    }
    if merged.startswith("ShadowProductionVariants"):
        properties["ShadowProductionVariants"] = [{**variant, "VariantName": "Shadow"}]
    if ".ServerlessConfig" in merged:
        # Serverless and instance variants cannot be mixed.
        serverless = {"ServerlessConfig": {"MemorySizeInMB": 1024, "MaxConcurrency": 1}}
        for name in ("ProductionVariants", "ShadowProductionVariants"):
            for item in properties.get(name, []):
                item.pop("InstanceType")
                item.pop("InitialInstanceCount", None)
                item.update(serverless)
    own_model = merged.startswith(("ProductionVariants[].ModelName", "Containers"))
    if own_model or merged.startswith("ProductionVariants[].Containers"):
        # A container no variant serves is an error.
        del properties["PrimaryContainer"]
    if ".ManagedInstanceScaling" in merged:
        # Only an endpoint with no model of its own (one for inference components) takes it.
        del properties["PrimaryContainer"]
    return properties


def _endpoint_desired(raw: Any) -> Any:
    return endpoint_requests.checked(
        endpoint_desired.desired_state(
            endpoint_properties.parse_properties(raw),
            stack_id=STACK_ID,
            logical_id="Endpoint",
            default_role_arn=DEFAULT_ROLE,
        )
    )


COMPONENT_SPECIFICATION = {
    "ModelName": "registry-model",
    "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 128},
}


def _component_base(merged: str) -> dict[str, Any]:
    """A minimal valid inference component, arranged so the path's own rules can hold."""
    properties: dict[str, Any] = {
        "EndpointName": "llm",
        "Specification": copy.deepcopy(COMPONENT_SPECIFICATION),
        "RuntimeConfig": {"CopyCount": 1},
    }
    if merged.startswith("Specifications"):
        specification = properties.pop("Specification")
        properties["Specifications"] = [specification]
    if ".BaseInferenceComponentName" in merged:
        # An adapter runs on its base component's compute.
        (properties.get("Specification") or properties["Specifications"][0]).pop(
            "ComputeResourceRequirements"
        )
    if merged == "EndpointArn":
        properties["EndpointArn"] = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/llm"
    if component_shapes.PROPERTIES.routes[merged.split(".")[0].removesuffix("[]")].request == MODEL:
        # The model's own members need a model of the provider's making.
        del properties["Specification"]["ModelName"]
        if not merged.startswith("Containers"):
            properties["PrimaryContainer"] = {"Image": IMAGE}
    return properties


def _component_desired(raw: Any) -> Any:
    return component_requests.checked(
        component_desired.desired_state(
            component_properties.parse_properties(raw),
            stack_id=STACK_ID,
            logical_id="Component",
            default_role_arn=DEFAULT_ROLE,
        )
    )


MODEL_NAMED_BY_PROVIDER = (
    "the provider names each model from its content (immutable, so an update needs a new "
    "name); the native name is the alias variants use for it"
)
ENDPOINT = Kind(
    resource_type="Custom::SageMakerEndpoint",
    properties=endpoint_shapes.PROPERTIES,
    native={
        "AWS::SageMaker::Model": MODEL,
        "AWS::SageMaker::EndpointConfig": endpoint_shapes.CONFIG,
        "AWS::SageMaker::Endpoint": endpoint_shapes.ENDPOINT,
    },
    operations={
        MODEL: ["CreateModel"],
        endpoint_shapes.CONFIG: ["CreateEndpointConfig"],
        endpoint_shapes.ENDPOINT: ["CreateEndpoint", "UpdateEndpoint"],
        PROVIDER: ["CreateEndpoint"],
    },
    delivered_in={
        MODEL: "CreateModel",
        endpoint_shapes.CONFIG: "CreateEndpointConfig",
        endpoint_shapes.ENDPOINT: "UpdateEndpoint",
        PROVIDER: "CreateEndpoint",
    },
    not_delivered={
        "ModelName": MODEL_NAMED_BY_PROVIDER,
        "EndpointConfigName": "the provider names each config from its content (configs are "
        "immutable, so every change needs a new name); the native name is checked only",
    },
    extra_members={
        "ContainerDefinition": {"Image": IMAGE},
        endpoint_shapes.VARIANT: {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
    },
    base=_endpoint_base,
    desired=_endpoint_desired,
    requests_of=endpoint_requests.requests_of,
)
COMPONENT = Kind(
    resource_type="Custom::SageMakerInferenceComponent",
    properties=component_shapes.PROPERTIES,
    native={"AWS::SageMaker::InferenceComponent": component_shapes.COMPONENT},
    operations={
        MODEL: ["CreateModel"],
        component_shapes.COMPONENT: ["CreateInferenceComponent"],
        component_shapes.COMPONENT_UPDATE: ["UpdateInferenceComponent"],
    },
    delivered_in={
        MODEL: "CreateModel",
        component_shapes.COMPONENT: "CreateInferenceComponent",
        component_shapes.COMPONENT_UPDATE: "UpdateInferenceComponent",
        PROVIDER: "CreateInferenceComponent",
    },
    not_delivered={
        "EndpointArn": "no request takes it: the endpoint is the one EndpointName names, and "
        "EndpointArn is only checked against it",
    },
    extra_members={
        "ContainerDefinition": {"Image": IMAGE},
        "InferenceComponentSpecification": COMPONENT_SPECIFICATION,
    },
    base=_component_base,
    desired=_component_desired,
    requests_of=component_requests.requests_of,
)
KINDS = (ENDPOINT, COMPONENT)


def schema_cases(kind: Kind) -> list[Case]:
    cases = []
    for resource, request in kind.native.items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, resource).schema
        read_only = _read_only(schema)
        for path in _schema_paths(schema, schema, ""):
            if not any(
                path == skip or path.startswith((f"{skip}.", f"{skip}[")) for skip in read_only
            ):
                cases.append(Case(kind, resource, path, merged_path(kind, request, path)))
    return cases


def _read_only(schema: dict[str, Any]) -> list[str]:
    """The schema's readOnlyProperties as walk paths ("/properties/A/*/B" -> "A[].B")."""
    paths = [p.removeprefix("/properties/") for p in schema.get("readOnlyProperties", [])]
    return [path.replace("/*", "[]").replace("/", ".") for path in paths]


def read_only_paths(kind: Kind) -> list[str]:
    found = []
    for resource in kind.native:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, resource).schema
        found += [f"{resource} {path}" for path in _read_only(schema)]
    return found


def botocore_cases(kind: Kind) -> list[Case]:
    """Every member path of the requests the resource type sends, but the members the provider
    fills in itself where they are no property at all (a component's model's ModelName)."""
    cases = []
    for request, operations in kind.operations.items():
        if request == PROVIDER:
            continue
        for operation in operations:
            for path in _shape_paths(input_shape("sagemaker", operation), "", 0):
                merged = merged_path(kind, request, path)
                top = merged.split(".")[0].removesuffix("[]")
                if top in kind.properties.provider_filled and top not in kind.properties.routes:
                    continue
                cases.append(Case(kind, operation, path, merged))
    return cases


def _schema_paths(node: dict[str, Any], root: dict[str, Any], prefix: str) -> list[str]:
    while "$ref" in node:
        node = root["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    if node.get("type") == "array" and "items" in node:
        return _schema_paths(node["items"], root, f"{prefix}[]")
    found = []
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        found += [path, *_schema_paths(child, root, path)]
    return found


def _shape_paths(shape: Shape, prefix: str, depth: int) -> list[str]:
    if depth > MAX_DEPTH:
        return []
    if shape.type_name == "list":
        return _shape_paths(shape.member, f"{prefix}[]", depth + 1)
    if shape.type_name != "structure":
        return []
    found = []
    for name, member in shape.members.items():
        path = f"{prefix}.{name}" if prefix else name
        found += [path, *_shape_paths(member, path, depth + 1)]
    return found


def merged_path(kind: Kind, request: str, path: str) -> str:
    """The native or API path as the custom resource's property path."""
    top, _, rest = path.partition(".")
    bare = top.removesuffix("[]")
    routes = kind.properties.routes
    updated = [
        other for other, source in kind.properties.requests.items() if source.updates == request
    ]
    names = [n for n, r in routes.items() if r.member == bare and r.request in (request, *updated)]
    name = names[0] if names else bare
    return name + top[len(bare) :] + (f".{rest}" if rest else "")


def run(case: Case) -> Outcome:
    """Builds the property set for `case`, and reports what became of it."""
    kind = case.kind
    properties = kind.base(case.merged)
    value = _place(kind, properties, case.merged)
    raw = _as_cloudformation_sends(properties)
    try:
        desired = kind.desired(raw)
    except InvalidProperties as error:
        return Outcome(False, False, 0, "; ".join(error.problems))
    requests = [(operation, request) for _, _, operation, request in kind.requests_of(desired)]
    invalid = sum(_botocore_refuses(operation, request) for operation, request in requests)
    top = case.merged.split(".")[0].removesuffix("[]")
    if top in kind.not_delivered:
        return Outcome(True, False, invalid, kind.not_delivered[top])
    delivered = _delivered(kind, case.merged, value, requests)
    return Outcome(True, delivered, invalid, "" if delivered else f"{value!r} not in request")


def _place(kind: Kind, properties: dict[str, Any], merged: str) -> Any:
    """Sets the path to an example value, building what leads to it; returns the value."""
    shape, node, extra = kind.properties.shape, properties, kind.extra_members
    *parents, last = merged.split(".")
    for segment in parents:
        name = segment.removesuffix("[]")
        member = shape.members[name]
        if segment.endswith("[]"):
            node = node.setdefault(name, [example(member.member, extra)])[0]
            shape = member.member
        else:
            node = node.setdefault(name, example(member, extra))
            shape = member
    if last not in node:
        node[last] = example(shape.members[last], extra)
    return copy.deepcopy(node[last])


def _as_cloudformation_sends(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _as_cloudformation_sends(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_cloudformation_sends(item) for item in value]
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _botocore_refuses(operation: str, request: dict[str, Any]) -> bool:
    if operation not in _SAGEMAKER_OPERATIONS:
        return False
    report = ParamValidator().validate(request, input_shape("sagemaker", operation))
    return report.has_errors()


def _delivered(
    kind: Kind, merged: str, value: Any, requests: list[tuple[str, dict[str, Any]]]
) -> bool:
    top, _, rest = merged.partition(".")
    name = top.removesuffix("[]")
    route = kind.properties.routes[name]
    operations = [kind.delivered_in[route.request]]
    member = name if route.request == PROVIDER else route.member
    path = member + top[len(name) :] + (f".{rest}" if rest else "")
    if ".Containers" in path and path.split(".")[0].endswith("ProductionVariants[]"):
        # A variant's own containers make a model of their own.
        operations, path = ["CreateModel"], path.split(".", 1)[1]
    found = [_at(request, path) for operation, request in requests if operation in operations]
    return any(_same(item, value) for item in found)


def _at(request: Any, path: str) -> Any:
    node = request
    for segment in path.split("."):
        name = segment.removesuffix("[]")
        if not isinstance(node, dict) or name not in node:
            return _MISSING
        node = node[name]
        if segment.endswith("[]"):
            node = node[0] if isinstance(node, list) and node else _MISSING
    return node


_MISSING = object()


def _same(found: Any, value: Any) -> bool:
    """Leaves compare equal; a structure or list is delivered when the request holds it with
    at least what was set (the provider adds defaults such as a variant's ModelName)."""
    if found is _MISSING:
        return False
    if isinstance(value, dict):
        return isinstance(found, dict) and all(
            key in found and _same(found[key], item) for key, item in value.items()
        )
    if isinstance(value, list):
        return (
            isinstance(found, list)
            and len(found) >= len(value)
            and all(_same(f, v) for f, v in zip(found, value, strict=False))
        )
    return found == value
