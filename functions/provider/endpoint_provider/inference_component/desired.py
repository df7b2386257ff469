"""What SageMaker should hold for an inference component's properties: pure data, printable and
comparable, and how a described component compares with it.

The component's name is derived from the stack, the logical ID, the endpoint and the variant
unless the user gives one, so that moving the component to another endpoint or variant makes a
new one (component names are unique per account and region; UpdateInferenceComponent cannot
move one). A model the provider makes is named from its content, as for endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from endpoint_provider.inference_component.properties import ComponentProperties
from endpoint_provider.inference_component.property_shapes import (
    COMPONENT,
    COMPONENT_UPDATE,
    MODEL,
    PROPERTIES,
)
from endpoint_provider.inference_component.scaling import component_scaling
from endpoint_provider.models import ModelSpec, model_spec, routed_members
from endpoint_provider.naming import Owner, derived_name
from endpoint_provider.scaling_requests import Scaling

SPECIFICATION_FIELDS = ("Specification", "Specifications")
# What says which model runs, and how: compared with what SageMaker describes. DataCacheConfig
# is left out because SageMaker may turn caching on by itself (on instances with large local
# NVMe storage), and SchedulingConfig because it only places copies.
IDENTIFYING_FIELDS = (
    "InstanceType",
    "ModelName",
    "Container",
    "BaseInferenceComponentName",
    "ComputeResourceRequirements",
    "StartupParameters",
)


@dataclass(frozen=True)
class ComponentState:
    name: str
    owner: Owner
    endpoint_name: str
    # None: the endpoint's only variant, found when the component is created.
    variant_name: str | None
    model: ModelSpec | None
    # {"Specification": {...}} or {"Specifications": [...]}, each naming its model.
    specification: dict[str, Any]
    copies: int | None = None
    # With AutoScaling, the copy count is scaling's after the component's creation.
    scaling: Scaling | None = None
    deployment: dict[str, Any] = field(default_factory=dict)
    user_tags: dict[str, str] = field(default_factory=dict)
    alarm_names: tuple[str, ...] = ()

    @property
    def tags(self) -> dict[str, str]:
        return {**self.user_tags, **self.owner.tags()}

    @property
    def specifications(self) -> list[dict[str, Any]]:
        single = self.specification.get("Specification")
        return [single] if single else list(self.specification["Specifications"])

    @property
    def model_names(self) -> list[str]:
        named = (spec.get("ModelName") for spec in self.specifications)
        return list(dict.fromkeys(name for name in named if name))

    def create_request(self, variant_name: str) -> dict[str, Any]:
        return {
            "InferenceComponentName": self.name,
            "EndpointName": self.endpoint_name,
            "VariantName": variant_name,
            **self.specification,
            **self._runtime_config(),
        }

    def update_request(self, copies: int | None) -> dict[str, Any]:
        """UpdateInferenceComponent's request; a copy count only when it is to change, since
        autoscaling owns it otherwise."""
        runtime = {} if copies is None else {"RuntimeConfig": {"CopyCount": copies}}
        return {
            "InferenceComponentName": self.name,
            **self.specification,
            **runtime,
            **self.deployment,
        }

    def attributes(self, arn: str, variant_name: str) -> dict[str, str]:
        """What Fn::GetAtt reads; small, to keep the response under CloudFormation's 4 KB."""
        attributes = {
            "InferenceComponentName": self.name,
            "InferenceComponentArn": arn,
            "EndpointName": self.endpoint_name,
            "VariantName": variant_name,
        }
        if self.model_names:
            attributes["ModelName"] = self.model_names[0]
        return attributes

    def _runtime_config(self) -> dict[str, Any]:
        return {} if self.copies is None else {"RuntimeConfig": {"CopyCount": self.copies}}


def desired_state(
    properties: ComponentProperties, *, stack_id: str, logical_id: str, default_role_arn: str
) -> ComponentState:
    name = properties.InferenceComponentName or derived_name(
        stack_id,
        logical_id,
        [stack_id, logical_id, properties.EndpointName.lower(), properties.VariantName or ""],
    )
    owner = Owner(stack_id, logical_id, properties.EndpointName, component_name=name)
    tags = {**properties.user_tags, **owner.tags()}
    scaling = properties.AutoScaling
    members = routed_members(properties, PROPERTIES)
    model = None
    if properties.makes_model:
        model = model_spec({"ExecutionRoleArn": default_role_arn, **members[MODEL]}, name)
    specification = {
        key: _with_model(value, model)
        for key, value in members[COMPONENT].items()
        if key in SPECIFICATION_FIELDS
    }
    deployment = members[COMPONENT_UPDATE]
    return ComponentState(
        name=name,
        owner=owner,
        endpoint_name=properties.EndpointName,
        variant_name=properties.VariantName,
        model=model,
        specification=specification,
        copies=properties.copies,
        scaling=component_scaling(name, scaling, tags) if scaling else None,
        deployment=deployment,
        user_tags=properties.user_tags,
        alarm_names=tuple(properties.DeploymentConfig.alarm_names)
        if properties.DeploymentConfig
        else (),
    )


def _with_model(value: Any, model: ModelSpec | None) -> Any:
    if model is None:
        return value
    if isinstance(value, list):
        return [{**spec, "ModelName": model.name} for spec in value]
    return {**value, "ModelName": model.name}


def serves(described: dict[str, Any], desired: ComponentState) -> bool:
    """Whether a described component runs the desired specification: every field requested is
    what SageMaker describes (a rolled-back update leaves the old one in place, InService)."""
    summaries = _by_instance_type(
        described.get("Specifications") or [described.get("Specification") or {}]
    )
    wanted = _by_instance_type(desired.specifications)
    return len(summaries) == len(wanted) and all(
        _within(_identity(spec), summary) for spec, summary in zip(wanted, summaries, strict=True)
    )


def _by_instance_type(specifications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One specification per instance type: SageMaker's order need not be the request's."""
    return sorted(specifications, key=lambda spec: str(spec.get("InstanceType", "")))


def _identity(spec: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in spec.items() if key in IDENTIFYING_FIELDS}


def _within(requested: Any, described: Any) -> bool:
    if isinstance(requested, dict):
        if not isinstance(described, dict):
            return False
        return all(_member_within(key, value, described) for key, value in requested.items())
    if isinstance(requested, list):
        return (
            isinstance(described, list)
            and len(requested) == len(described)
            and all(_within(a, b) for a, b in zip(requested, described, strict=True))
        )
    return bool(requested == described)


def _member_within(key: str, value: Any, described: dict[str, Any]) -> bool:
    # The summary names the image asked for under DeployedImage.SpecifiedImage.
    if key == "Image" and "Image" not in described:
        return bool(value == described.get("DeployedImage", {}).get("SpecifiedImage"))
    return _within(value, described.get(key))
