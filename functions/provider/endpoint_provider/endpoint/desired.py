"""What SageMaker and Application Auto Scaling should hold for a set of properties: pure data,
printable and comparable.

Model and endpoint config names are digests of their own requests, so a change to either
yields new names (configs are immutable) and an unchanged resource keeps its name. Scaling and
update options stay out of the config request, so changing them never needs a new config.
Each top-level property goes to the request property_shapes routes it to, under the member name
SageMaker gives it there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from endpoint_provider.endpoint.properties import EndpointProperties, ProductionVariantSpec
from endpoint_provider.endpoint.property_shapes import CONFIG, ENDPOINT, MODEL, PROPERTIES
from endpoint_provider.endpoint.scaling import variant_scaling
from endpoint_provider.models import ModelSpec, dump, model_spec, routed_members
from endpoint_provider.naming import Owner, child_name, derived_endpoint_name
from endpoint_provider.scaling_requests import Scaling

VARIANT_ONLY_FIELDS = {"AutoScaling", "Containers", "ModelName"}
# SageMaker's own defaults, spelled out as earlier releases of the provider did (see models).
VARIANT_DEFAULTS = {"InitialVariantWeight": 1.0}
DATA_CAPTURE_DEFAULTS = {"EnableCapture": True}
VARIANT_LISTS = ("ProductionVariants", "ShadowProductionVariants")


@dataclass(frozen=True)
class ConfigSpec:
    name: str
    request: dict[str, Any]

    @property
    def variants(self) -> list[dict[str, Any]]:
        variants: list[dict[str, Any]] = self.request["ProductionVariants"]
        shadows: list[dict[str, Any]] = self.request.get("ShadowProductionVariants", [])
        return variants + shadows

    @property
    def model_names(self) -> list[str]:
        """The models the variants serve; none on an endpoint that hosts inference components."""
        named = (variant.get("ModelName") for variant in self.variants)
        return list(dict.fromkeys(name for name in named if name))


@dataclass(frozen=True)
class DesiredState:
    endpoint_name: str
    owner: Owner
    models: tuple[ModelSpec, ...]
    config: ConfigSpec
    user_tags: dict[str, str] = field(default_factory=dict)
    scaling: tuple[Scaling, ...] = ()
    update_options: dict[str, Any] = field(default_factory=dict)
    alarm_names: tuple[str, ...] = ()

    @property
    def tags(self) -> dict[str, str]:
        return {**self.user_tags, **self.owner.tags()}

    def attributes(self, endpoint_arn: str) -> dict[str, str]:
        """What Fn::GetAtt reads; small, to keep the response under CloudFormation's 4 KB."""
        model_names = self.config.model_names
        attributes = {
            "EndpointName": self.endpoint_name,
            "EndpointArn": endpoint_arn,
            "EndpointConfigName": self.config.name,
        }
        if model_names:
            attributes |= {"ModelName": model_names[0], "ModelNames": ",".join(model_names)}
        return attributes


def desired_state(
    properties: EndpointProperties, *, stack_id: str, logical_id: str, default_role_arn: str
) -> DesiredState:
    endpoint_name = properties.EndpointName or derived_endpoint_name(stack_id, logical_id)
    members = routed_members(properties, PROPERTIES)
    model_members = {"ExecutionRoleArn": default_role_arn, **members[MODEL]}
    if properties.hosts_components:
        # SageMaker requires the config's role when no variant names a model.
        members[CONFIG] = {"ExecutionRoleArn": default_role_arn, **members[CONFIG]}
    models: dict[str, ModelSpec] = {}

    def model_for(variant: ProductionVariantSpec) -> str | None:
        if properties.hosts_components:
            return None
        if not (variant.Containers or properties.serves_own_model(variant)):
            # Parsing made sure a variant without containers of its own names a model.
            assert variant.ModelName is not None
            return variant.ModelName
        model = model_spec(model_members, endpoint_name, variant.Containers)
        models.setdefault(model.name, model)
        return model.name

    config = _config_spec(properties, members[CONFIG], endpoint_name, model_for)
    owner = Owner(stack_id, logical_id, endpoint_name)
    tags = {**properties.user_tags, **owner.tags()}
    return DesiredState(
        endpoint_name=endpoint_name,
        owner=owner,
        models=tuple(models.values()),
        config=config,
        user_tags=properties.user_tags,
        scaling=tuple(
            variant_scaling(endpoint_name, variant.VariantName, variant.AutoScaling, tags)
            for variant in properties.variants
            if variant.AutoScaling
        ),
        update_options=_update_options(properties, members[ENDPOINT]),
        alarm_names=tuple(properties.DeploymentConfig.alarm_names)
        if properties.DeploymentConfig
        else (),
    )


def _config_spec(
    properties: EndpointProperties,
    members: dict[str, Any],
    endpoint_name: str,
    model_for: Callable[[ProductionVariantSpec], str | None],
) -> ConfigSpec:
    request = {key: value for key, value in members.items() if key not in VARIANT_LISTS}
    if "DataCaptureConfig" in request:
        request["DataCaptureConfig"] = {**DATA_CAPTURE_DEFAULTS, **request["DataCaptureConfig"]}
    for name in VARIANT_LISTS:
        variants = getattr(properties, name)
        if variants:
            request[name] = [_variant(variant, model_for(variant)) for variant in variants]
    name = child_name(endpoint_name, request)
    return ConfigSpec(name, {"EndpointConfigName": name, **request})


def _variant(variant: ProductionVariantSpec, model_name: str | None) -> dict[str, Any]:
    request = {
        **({"ModelName": model_name} if model_name else {}),
        **VARIANT_DEFAULTS,
        **dump(variant, exclude=VARIANT_ONLY_FIELDS),
    }
    if not variant.is_serverless:
        request["InitialInstanceCount"] = variant.instance_count
    return request


def _update_options(properties: EndpointProperties, members: dict[str, Any]) -> dict[str, Any]:
    """UpdateEndpoint's knobs. Retaining variant properties by default when autoscaling keeps
    an update from resetting the instance count the autoscaler chose."""
    options = {key: value for key, value in members.items() if key != "RetainAllVariantProperties"}
    retain = properties.RetainAllVariantProperties
    if retain if retain is not None else properties.autoscaled:
        options["RetainAllVariantProperties"] = True
    return options
