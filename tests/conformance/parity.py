"""Property paths of the native resources and of SageMaker's requests, and what becomes of each.

A case is one path: a property set is built with that path set to a valid value (every scalar
then turned into a string, as CloudFormation sends it), run through the provider's parsing,
desired state and request check, and the value is looked for in the request it belongs to.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape
from botocore.validate import ParamValidator
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from endpoint_provider.api_shapes import input_shape
from endpoint_provider.endpoint.desired import desired_state
from endpoint_provider.endpoint.properties import parse_properties
from endpoint_provider.endpoint.property_shapes import (
    CONFIG,
    ENDPOINT,
    MODEL,
    PROPERTIES,
    PROVIDER,
    VARIANT,
)
from endpoint_provider.endpoint.requests import checked, requests_of
from endpoint_provider.property_errors import InvalidProperties
from tests.conformance.shape_values import example

REGION = "us-east-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/churn/1"
DEFAULT_ROLE = "arn:aws:iam::123456789012:role/provider-default"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.3.0-cpu"
NATIVE = {
    "AWS::SageMaker::Model": MODEL,
    "AWS::SageMaker::EndpointConfig": CONFIG,
    "AWS::SageMaker::Endpoint": ENDPOINT,
}
# Request -> the operations that carry its members (an Endpoint's on create and on update).
OPERATIONS = {
    MODEL: ["CreateModel"],
    CONFIG: ["CreateEndpointConfig"],
    ENDPOINT: ["CreateEndpoint", "UpdateEndpoint"],
}
DELIVERED_IN = {MODEL: "CreateModel", CONFIG: "CreateEndpointConfig", ENDPOINT: "UpdateEndpoint"}
# Accepted, but deliberately not sent as given: the short, reasoned allow-list.
NOT_DELIVERED = {
    "ModelName": "the provider names each model from its content (immutable, so an update "
    "needs a new name); the native name is the alias variants use for it",
    "EndpointConfigName": "the provider names each config from its content (configs are "
    "immutable, so every change needs a new name); the native name is checked only",
}
# Members a rule across members needs, added wherever the test creates such a structure.
EXTRA_MEMBERS = {
    "ContainerDefinition": {"Image": IMAGE},
    VARIANT: {"InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
}
MAX_DEPTH = 12
# What the tests found, for the run's summary (conftest.py prints it).
FIGURES: Counter[str] = Counter()
ALLOWED: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    source: str
    path: str  # as written in the native resource or the API request
    merged: str  # as written in the Custom::SageMakerEndpoint


@dataclass
class Outcome:
    accepted: bool
    delivered: bool
    invalid_requests: int
    detail: str = ""


def schema_cases() -> list[Case]:
    cases = []
    for resource, request in NATIVE.items():
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, resource).schema
        read_only = {path.rsplit("/", 1)[-1] for path in schema.get("readOnlyProperties", [])}
        for path in _schema_paths(schema, schema, ""):
            if path.split(".")[0].removesuffix("[]") not in read_only:
                cases.append(Case(resource, path, merged_path(request, path)))
    return cases


def read_only_paths() -> list[str]:
    found = []
    for resource in NATIVE:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, resource).schema
        found += [f"{resource} {p.rsplit('/', 1)[-1]}" for p in schema["readOnlyProperties"]]
    return found


def botocore_cases() -> list[Case]:
    cases = []
    for request, operations in OPERATIONS.items():
        for operation in operations:
            for path in _shape_paths(input_shape("sagemaker", operation), "", 0):
                cases.append(Case(operation, path, merged_path(request, path)))
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


def merged_path(request: str, path: str) -> str:
    """The native or API path as a Custom::SageMakerEndpoint property path."""
    top, _, rest = path.partition(".")
    bare = top.removesuffix("[]")
    names = [n for n, r in PROPERTIES.routes.items() if r.request == request and r.member == bare]
    name = names[0] if names else bare
    return name + top[len(bare) :] + (f".{rest}" if rest else "")


def run(case: Case) -> Outcome:
    """Builds the property set for `case`, and reports what became of it."""
    properties = _base(case.merged)
    value = _place(properties, case.merged)
    raw = _as_cloudformation_sends(properties)
    try:
        desired = checked(
            desired_state(
                parse_properties(raw),
                stack_id=STACK_ID,
                logical_id="Endpoint",
                default_role_arn=DEFAULT_ROLE,
            )
        )
    except InvalidProperties as error:
        return Outcome(False, False, 0, "; ".join(error.problems))
    requests = [(operation, request) for _, _, operation, request in requests_of(desired)]
    invalid = sum(_botocore_refuses(operation, request) for operation, request in requests)
    top = case.merged.split(".")[0].removesuffix("[]")
    if top in NOT_DELIVERED:
        return Outcome(True, False, invalid, NOT_DELIVERED[top])
    delivered = _delivered(case.merged, value, requests)
    return Outcome(True, delivered, invalid, "" if delivered else f"{value!r} not in request")


def _base(merged: str) -> dict[str, Any]:
    """A minimal valid resource, arranged so the path's own rules can hold."""
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
    return properties


def _place(properties: dict[str, Any], merged: str) -> Any:
    """Sets the path to an example value, building what leads to it; returns the value."""
    shape, node = PROPERTIES.shape, properties
    *parents, last = merged.split(".")
    for segment in parents:
        name = segment.removesuffix("[]")
        member = shape.members[name]
        if segment.endswith("[]"):
            node = node.setdefault(name, [example(member.member, EXTRA_MEMBERS)])[0]
            shape = member.member
        else:
            node = node.setdefault(name, example(member, EXTRA_MEMBERS))
            shape = member
    if last not in node:
        node[last] = example(shape.members[last], EXTRA_MEMBERS)
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
    service = "sagemaker" if operation in _SAGEMAKER_OPERATIONS else None
    if service is None:
        return False
    report = ParamValidator().validate(request, input_shape(service, operation))
    return report.has_errors()


_SAGEMAKER_OPERATIONS = {"CreateModel", "CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint"}


def _delivered(merged: str, value: Any, requests: list[tuple[str, dict[str, Any]]]) -> bool:
    top, _, rest = merged.partition(".")
    name = top.removesuffix("[]")
    route = PROPERTIES.routes[name]
    if route.request == PROVIDER:
        operations, member = ["CreateEndpoint"], name
    else:
        operations, member = [DELIVERED_IN[route.request]], route.member
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
