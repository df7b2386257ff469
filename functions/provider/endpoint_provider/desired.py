"""What SageMaker should hold for a set of properties: pure data, printable and comparable.

Model and endpoint config names are digests of their own requests, so a change to either
yields new names (configs are immutable) and an unchanged resource keeps its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from endpoint_provider.naming import Owner, child_name, derived_endpoint_name
from endpoint_provider.properties import EndpointProperties, ProductionVariantSpec


@dataclass(frozen=True)
class ModelSpec:
    name: str
    request: dict[str, Any]


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    request: dict[str, Any]

    @property
    def model_names(self) -> list[str]:
        return [variant["ModelName"] for variant in self.request["ProductionVariants"]]


@dataclass(frozen=True)
class DesiredState:
    endpoint_name: str
    owner: Owner
    models: tuple[ModelSpec, ...]
    config: ConfigSpec
    user_tags: dict[str, str] = field(default_factory=dict)

    @property
    def tags(self) -> dict[str, str]:
        return {**self.user_tags, **self.owner.tags()}

    def attributes(self, endpoint_arn: str) -> dict[str, str]:
        """What Fn::GetAtt reads; small, to keep the response under CloudFormation's 4 KB."""
        model_names = list(dict.fromkeys(self.config.model_names))
        return {
            "EndpointName": self.endpoint_name,
            "EndpointArn": endpoint_arn,
            "EndpointConfigName": self.config.name,
            "ModelName": model_names[0],
            "ModelNames": ",".join(model_names),
        }


def desired_state(
    properties: EndpointProperties, *, stack_id: str, logical_id: str, default_role_arn: str
) -> DesiredState:
    endpoint_name = properties.EndpointName or derived_endpoint_name(stack_id, logical_id)
    model = _model_spec(properties, endpoint_name, default_role_arn)
    config = _config_spec(properties, endpoint_name, model.name)
    return DesiredState(
        endpoint_name=endpoint_name,
        owner=Owner(stack_id, logical_id, endpoint_name),
        models=(model,),
        config=config,
        user_tags=properties.user_tags,
    )


def _model_spec(properties: EndpointProperties, endpoint_name: str, role_arn: str) -> ModelSpec:
    request: dict[str, Any] = {
        "ExecutionRoleArn": properties.ExecutionRoleArn or role_arn,
        "EnableNetworkIsolation": properties.EnableNetworkIsolation,
    }
    containers = [_dump(container) for container in properties.containers]
    if properties.Containers is None:
        request["PrimaryContainer"] = containers[0]
    else:
        request["Containers"] = containers
    if properties.InferenceExecutionConfig:
        request["InferenceExecutionConfig"] = _dump(properties.InferenceExecutionConfig)
    if properties.VpcConfig:
        request["VpcConfig"] = _dump(properties.VpcConfig)
    name = child_name(endpoint_name, request)
    return ModelSpec(name, {"ModelName": name, **request})


def _config_spec(properties: EndpointProperties, endpoint_name: str, model_name: str) -> ConfigSpec:
    request: dict[str, Any] = {
        "ProductionVariants": [
            _variant(variant, model_name) for variant in properties.ProductionVariants
        ],
    }
    if properties.KmsKeyId:
        request["KmsKeyId"] = properties.KmsKeyId
    name = child_name(endpoint_name, request)
    return ConfigSpec(name, {"EndpointConfigName": name, **request})


def _variant(variant: ProductionVariantSpec, model_name: str) -> dict[str, Any]:
    return {"ModelName": model_name, **_dump(variant)}


def _dump(spec: Any) -> dict[str, Any]:
    """The API shape: property names are already SageMaker's; unset fields are left out."""
    return spec.model_dump(exclude_none=True)
