"""The SageMaker models the provider makes from a resource's containers, for any resource type:
named from their own request, so a change yields a new model (models are immutable) and an
unchanged one keeps its name. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from endpoint_provider.naming import child_name
from endpoint_provider.property_model import ContainerSpec
from endpoint_provider.property_shapes import PropertySet

# SageMaker's own defaults, spelled out in every request as earlier releases of the provider did:
# model names digest the requests, and a name that changed with a provider upgrade would make
# the next stack update redeploy for nothing.
MODEL_DEFAULTS = {"EnableNetworkIsolation": False}
CONTAINER_DEFAULTS: dict[str, dict[str, str]] = {"Environment": {}}
CONTAINER_FIELDS = ("PrimaryContainer", "Containers")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    request: dict[str, Any]


def routed_members(properties: BaseModel, property_set: PropertySet) -> dict[str, dict[str, Any]]:
    """The properties sorted by the request they belong to, under their API member names."""
    table = property_set.routes
    members: dict[str, dict[str, Any]] = {request: {} for request in property_set.requests}
    for name, value in properties.model_dump(exclude_none=True).items():
        route = table[name]
        if route.request in members:
            members[route.request][route.member] = value
    return members


def model_spec(
    members: dict[str, Any], owner_name: str, own_containers: list[ContainerSpec] | None = None
) -> ModelSpec:
    """The CreateModel request of `members` (the model's properties, the execution role
    defaulted), serving `own_containers` when a variant has its own."""
    request = {
        **MODEL_DEFAULTS,
        **{key: value for key, value in members.items() if key not in CONTAINER_FIELDS},
    }
    if own_containers:
        request["Containers"] = [_container(dump(container)) for container in own_containers]
    elif "Containers" in members:
        request["Containers"] = [_container(container) for container in members["Containers"]]
    else:
        request["PrimaryContainer"] = _container(members["PrimaryContainer"])
    name = child_name(owner_name, request)
    return ModelSpec(name, {"ModelName": name, **request})


def dump(spec: BaseModel, exclude: set[str] | None = None) -> dict[str, Any]:
    """The API shape: property names are already SageMaker's; unset fields are left out."""
    return spec.model_dump(exclude_none=True, exclude=exclude)


def _container(container: dict[str, Any]) -> dict[str, Any]:
    return {**CONTAINER_DEFAULTS, **container}
