"""What SageMaker and Application Auto Scaling should hold for a set of properties: pure data,
printable and comparable.

Model and endpoint config names are digests of their own requests, so a change to either
yields new names (configs are immutable) and an unchanged resource keeps its name. Scaling and
update options stay out of the config request, so changing them never needs a new config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from endpoint_provider.naming import Owner, child_name, derived_endpoint_name
from endpoint_provider.properties import (
    AutoScalingSpec,
    ContainerSpec,
    EndpointProperties,
    ProductionVariantSpec,
)

VARIANT_ONLY_FIELDS = {"AutoScaling", "Containers", "ModelName"}


@dataclass(frozen=True)
class ModelSpec:
    name: str
    request: dict[str, Any]


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    request: dict[str, Any]

    @property
    def variants(self) -> list[dict[str, Any]]:
        return self.request["ProductionVariants"] + self.request.get("ShadowProductionVariants", [])

    @property
    def model_names(self) -> list[str]:
        return list(dict.fromkeys(variant["ModelName"] for variant in self.variants))


@dataclass(frozen=True)
class ScalingSpec:
    """Application Auto Scaling for one variant."""

    variant_name: str
    settings: AutoScalingSpec


@dataclass(frozen=True)
class DesiredState:
    endpoint_name: str
    owner: Owner
    models: tuple[ModelSpec, ...]
    config: ConfigSpec
    user_tags: dict[str, str] = field(default_factory=dict)
    scaling: tuple[ScalingSpec, ...] = ()
    update_options: dict[str, Any] = field(default_factory=dict)
    alarm_names: tuple[str, ...] = ()

    @property
    def tags(self) -> dict[str, str]:
        return {**self.user_tags, **self.owner.tags()}

    def attributes(self, endpoint_arn: str) -> dict[str, str]:
        """What Fn::GetAtt reads; small, to keep the response under CloudFormation's 4 KB."""
        model_names = self.config.model_names
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
    role_arn = properties.ExecutionRoleArn or default_role_arn
    models: dict[str, ModelSpec] = {}

    def model_for(variant: ProductionVariantSpec) -> str:
        if variant.ModelName:
            return variant.ModelName
        model = _model_spec(properties, endpoint_name, role_arn, variant.Containers)
        models.setdefault(model.name, model)
        return model.name

    config = _config_spec(properties, endpoint_name, model_for)
    return DesiredState(
        endpoint_name=endpoint_name,
        owner=Owner(stack_id, logical_id, endpoint_name),
        models=tuple(models.values()),
        config=config,
        user_tags=properties.user_tags,
        scaling=tuple(
            ScalingSpec(variant.VariantName, variant.AutoScaling)
            for variant in properties.variants
            if variant.AutoScaling
        ),
        update_options=_update_options(properties),
        alarm_names=tuple(properties.DeploymentConfig.alarm_names)
        if properties.DeploymentConfig
        else (),
    )


def _model_spec(
    properties: EndpointProperties,
    endpoint_name: str,
    role_arn: str,
    own_containers: list[ContainerSpec] | None,
) -> ModelSpec:
    request: dict[str, Any] = {
        "ExecutionRoleArn": role_arn,
        "EnableNetworkIsolation": properties.EnableNetworkIsolation,
    }
    if own_containers:
        request["Containers"] = [_dump(container) for container in own_containers]
    elif properties.Containers:
        request["Containers"] = [_dump(container) for container in properties.Containers]
    else:
        request["PrimaryContainer"] = _dump(properties.PrimaryContainer)
    if properties.InferenceExecutionConfig:
        request["InferenceExecutionConfig"] = _dump(properties.InferenceExecutionConfig)
    if properties.VpcConfig:
        request["VpcConfig"] = _dump(properties.VpcConfig)
    name = child_name(endpoint_name, request)
    return ModelSpec(name, {"ModelName": name, **request})


def _config_spec(properties: EndpointProperties, endpoint_name: str, model_for: Any) -> ConfigSpec:
    request: dict[str, Any] = {
        "ProductionVariants": [_variant(v, model_for(v)) for v in properties.ProductionVariants]
    }
    if properties.ShadowProductionVariants:
        request["ShadowProductionVariants"] = [
            _variant(variant, model_for(variant)) for variant in properties.ShadowProductionVariants
        ]
    for optional in ("AsyncInferenceConfig", "DataCaptureConfig"):
        value = getattr(properties, optional)
        if value is not None:
            request[optional] = _dump(value)
    if properties.KmsKeyId:
        request["KmsKeyId"] = properties.KmsKeyId
    name = child_name(endpoint_name, request)
    return ConfigSpec(name, {"EndpointConfigName": name, **request})


def _variant(variant: ProductionVariantSpec, model_name: str) -> dict[str, Any]:
    request = {"ModelName": model_name, **_dump(variant, exclude=VARIANT_ONLY_FIELDS)}
    if not variant.is_serverless:
        request["InitialInstanceCount"] = variant.instance_count
    return request


def _update_options(properties: EndpointProperties) -> dict[str, Any]:
    """UpdateEndpoint's knobs. Retaining variant properties by default when autoscaling keeps
    an update from resetting the instance count the autoscaler chose."""
    options: dict[str, Any] = {}
    retain = properties.RetainAllVariantProperties
    if retain if retain is not None else properties.autoscaled:
        options["RetainAllVariantProperties"] = True
    if properties.ExcludeRetainedVariantProperties:
        options["ExcludeRetainedVariantProperties"] = [
            _dump(excluded) for excluded in properties.ExcludeRetainedVariantProperties
        ]
    if properties.DeploymentConfig:
        options["DeploymentConfig"] = _dump(properties.DeploymentConfig)
    return options


def _dump(spec: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    """The API shape: property names are already SageMaker's; unset fields are left out."""
    return spec.model_dump(exclude_none=True, exclude=exclude)
