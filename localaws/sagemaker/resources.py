"""moto's stored SageMaker resources as the simulator reads and completes them: lookups that fail
as SageMaker does, ARNs, the variants of a configuration, and the fields moto drops."""

import re
from collections.abc import Iterator
from typing import Any

from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, Model, SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter

from localaws.sagemaker.wire import ClientError, validation

# moto checks instance types against an old list; this one from it stands in for the real one.
_INSTANCE_TYPE_MOTO_KNOWS = "ml.m5.large"
# CreateEndpointConfig fields moto's backend ignores. The simulator stores them on moto's object
# under the attribute name that moto's response builder turns back into the field name.
CONFIG_FIELDS_MOTO_DROPS = (
    "ShadowProductionVariants",
    "ExplainerConfig",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
    "MetricsConfig",
    "CrossRegionTrafficConfig",
)


def endpoint(backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
    found = backend.endpoints.get(name)
    if found is None:
        raise validation(f'Could not find endpoint "{name}".')
    return found


def endpoint_config(backend: SageMakerModelBackend, name: str) -> FakeEndpointConfig:
    config = backend.endpoint_configs.get(name)
    if config is None:
        raise validation(f'Could not find endpoint configuration "{name}".')
    return config


def already_exists(label: str, arn: str) -> ClientError:
    return validation(f'Cannot create already existing {label} "{arn}".')


def arn(backend: SageMakerModelBackend, resource_type: str, name: str) -> str:
    return arn_formatter(resource_type, name, backend.account_id, backend.region_name)


def check_variants(backend: SageMakerModelBackend, params: dict[str, Any]) -> None:
    for field_name in ("ProductionVariants", "ShadowProductionVariants"):
        for variant in params.get(field_name, []):
            if "ModelName" in variant and variant["ModelName"] not in backend._models:
                model_arn = arn(backend, "model", variant["ModelName"])
                raise validation(f'Could not find model "{model_arn}".')


def known_to_moto(variant: dict[str, Any]) -> dict[str, Any]:
    if "InstanceType" not in variant:
        return variant
    return {**variant, "InstanceType": _INSTANCE_TYPE_MOTO_KNOWS}


def attribute(field_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", field_name).lower()


def images(model: Model) -> list[str]:
    containers = [model.primary_container, *model.containers]
    return [container.get("Image", "") for container in containers]


def configs_in_use(backend: SageMakerModelBackend) -> Iterator[tuple[str, str]]:
    """(endpoint name, endpoint configuration name) for every configuration a live endpoint
    runs on or is being updated to."""
    for live in backend.endpoints.values():
        if live.endpoint_status == "Deleting":
            continue
        yield live.endpoint_name, live.endpoint_config_name
        # moto's endpoints lack the attribute until the simulator first updates them.
        pending = getattr(live, "pending_deployment_summary", None)
        if pending:
            yield live.endpoint_name, pending["EndpointConfigName"]


def model_names(backend: SageMakerModelBackend, config_name: str) -> set[str]:
    config = backend.endpoint_configs.get(config_name)
    found = variants(config) if config else []
    return {variant["ModelName"] for variant in found if "ModelName" in variant}


def variants(config: FakeEndpointConfig) -> list[dict[str, Any]]:
    return [*config.production_variants, *shadow_variants(config)]


def shadow_variants(config: FakeEndpointConfig) -> list[dict[str, Any]]:
    # Configurations that moto creates itself, from a CloudFormation template, lack the attribute.
    return getattr(config, "shadow_production_variants", None) or []
