"""Inference components, which moto does not know: the simulator's own records of them, their
lookups, and the answers of DescribeInferenceComponent and ListInferenceComponents.

Components live per account and region, keyed by name as SageMaker keys them; their ARNs carry
the name in lower case, as endpoint ARNs do.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from moto.core.utils import utcnow
from moto.sagemaker.models import SageMakerModelBackend

from localaws.sagemaker.resources import arn
from localaws.sagemaker.wire import ClientError, validation

# Statuses in which a component's copies run: an update replaces them while the old ones serve.
SERVING_STATUSES = frozenset({"InService", "Updating"})
_LIST_SORT_KEYS = {
    "Name": lambda component: component.name,
    "CreationTime": lambda component: component.creation_time,
    "Status": lambda component: component.status,
}
_DEFAULT_PAGE_SIZE = 10


@dataclass
class Component:
    """One inference component. `target_copies` is what placement aims at: the desired count
    once SageMaker acted on it (a new count takes effect when its change completes)."""

    backend: SageMakerModelBackend
    name: str
    endpoint_name: str
    endpoint_arn: str
    variant_name: str
    specification: dict[str, Any]
    specifications: list[dict[str, Any]] | None
    desired_copies: int
    tags: list[dict[str, str]]
    status: str = "Creating"
    current_copies: int = 0
    target_copies: int = 0
    failure_reason: str | None = None
    last_deployment_config: dict[str, Any] | None = None
    creation_time: datetime = field(default_factory=utcnow)
    last_modified_time: datetime = field(default_factory=utcnow)

    @property
    def arn(self) -> str:
        return arn(self.backend, "inference-component", self.name.lower())

    @property
    def key(self) -> tuple[str, str, str]:
        return self.backend.account_id, self.backend.region_name, self.name

    @property
    def base_name(self) -> str | None:
        """The base component an adapter shares compute with; None for other components."""
        return self.specification.get("BaseInferenceComponentName")


class Components:
    """Every inference component of every account and region, in creation order."""

    def __init__(self) -> None:
        self._components: dict[tuple[str, str, str], Component] = {}

    def add(self, component: Component) -> None:
        self._components[component.key] = component

    def remove(self, component: Component) -> None:
        self._components.pop(component.key, None)

    def find(self, backend: SageMakerModelBackend, name: str) -> Component | None:
        return self._components.get((backend.account_id, backend.region_name, name))

    def named(self, backend: SageMakerModelBackend, name: str) -> Component:
        component = self.find(backend, name)
        if component is None:
            raise validation(
                f'Could not find inference component "{arn(backend, "inference-component", name)}".'
            )
        return component

    def by_arn(self, resource_arn: str) -> Component:
        for component in self._components.values():
            if component.arn == resource_arn:
                return component
        raise validation(f"Could not find inference component with ARN {resource_arn}.")

    def on_endpoint(self, backend: SageMakerModelBackend, endpoint_name: str) -> list[Component]:
        return [c for c in self.of(backend) if c.endpoint_name == endpoint_name]

    def of(self, backend: SageMakerModelBackend) -> list[Component]:
        account = (backend.account_id, backend.region_name)
        return [c for c in self._components.values() if c.key[:2] == account]

    def __iter__(self) -> Iterator[Component]:
        return iter(list(self._components.values()))

    def clear(self) -> None:
        self._components.clear()


def is_component_arn(resource_arn: str) -> bool:
    return ":inference-component/" in resource_arn


def describe(component: Component, components: Components) -> dict[str, Any]:
    """DescribeInferenceComponent's answer, in botocore's output shape."""
    body: dict[str, Any] = {
        "InferenceComponentName": component.name,
        "InferenceComponentArn": component.arn,
        "EndpointName": component.endpoint_name,
        "EndpointArn": component.endpoint_arn,
        "VariantName": component.variant_name,
        "Specification": _specification_summary(component.specification),
        "RuntimeConfig": _runtime_summary(component, components),
        "CreationTime": component.creation_time.timestamp(),
        "LastModifiedTime": component.last_modified_time.timestamp(),
        "InferenceComponentStatus": component.status,
    }
    if component.specifications is not None:
        body["Specifications"] = [_specification_summary(s) for s in component.specifications]
    if component.failure_reason:
        body["FailureReason"] = component.failure_reason
    if component.last_deployment_config:
        body["LastDeploymentConfig"] = component.last_deployment_config
    return body


def _runtime_summary(component: Component, components: Components) -> dict[str, int]:
    """Assumption: an adapter reports the copies of the base component it runs on."""
    source = component
    if component.base_name is not None:
        source = components.find(component.backend, component.base_name) or component
    return {"DesiredCopyCount": source.desired_copies, "CurrentCopyCount": source.current_copies}


def _specification_summary(specification: dict[str, Any]) -> dict[str, Any]:
    summary = {key: value for key, value in specification.items() if key != "Container"}
    if container := specification.get("Container"):
        summary["Container"] = _container_summary(container)
    return summary


def _container_summary(container: dict[str, Any]) -> dict[str, Any]:
    summary = {key: value for key, value in container.items() if key != "Image"}
    if image := container.get("Image"):
        # The simulator pulls nothing, so the image resolves to itself.
        summary["DeployedImage"] = {
            "SpecifiedImage": image,
            "ResolvedImage": image,
            "ResolutionTime": utcnow().timestamp(),
        }
    return summary


def listed(components: list[Component], params: dict[str, Any]) -> dict[str, Any]:
    """ListInferenceComponents' answer: the filters, the sort, then one page."""
    chosen = [c for c in components if _matches(c, params)]
    key = _LIST_SORT_KEYS[params.get("SortBy", "CreationTime")]
    chosen.sort(key=key, reverse=params.get("SortOrder", "Descending") == "Descending")
    start = _page_start(params.get("NextToken"))
    end = start + params.get("MaxResults", _DEFAULT_PAGE_SIZE)
    body: dict[str, Any] = {"InferenceComponents": [_summary(c) for c in chosen[start:end]]}
    if end < len(chosen):
        body["NextToken"] = str(end)
    return body


def _matches(component: Component, params: dict[str, Any]) -> bool:
    created, modified = (
        component.creation_time.timestamp(),
        component.last_modified_time.timestamp(),
    )
    checks = [
        ("EndpointNameEquals", lambda v: component.endpoint_name == v),
        ("VariantNameEquals", lambda v: component.variant_name == v),
        ("NameContains", lambda v: v.lower() in component.name.lower()),
        ("StatusEquals", lambda v: component.status == v),
        ("CreationTimeBefore", lambda v: created < _seconds(v)),
        ("CreationTimeAfter", lambda v: created > _seconds(v)),
        ("LastModifiedTimeBefore", lambda v: modified < _seconds(v)),
        ("LastModifiedTimeAfter", lambda v: modified > _seconds(v)),
    ]
    return all(check(params[name]) for name, check in checks if name in params)


def _seconds(value: Any) -> float:
    # botocore sends JSON 1.1 timestamps as epoch seconds.
    return float(value)


def _page_start(token: str | None) -> int:
    if token is None:
        return 0
    if not token.isdigit():
        raise ClientError("ValidationException", f'Invalid pagination token "{token}".')
    return int(token)


def _summary(component: Component) -> dict[str, Any]:
    return {
        "CreationTime": component.creation_time.timestamp(),
        "InferenceComponentArn": component.arn,
        "InferenceComponentName": component.name,
        "EndpointArn": component.endpoint_arn,
        "EndpointName": component.endpoint_name,
        "VariantName": component.variant_name,
        "InferenceComponentStatus": component.status,
        "LastModifiedTime": component.last_modified_time.timestamp(),
    }
