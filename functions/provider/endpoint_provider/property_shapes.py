"""A resource type's properties, generated from SageMaker's own API.

A custom resource's properties are the members of the SageMaker requests it makes, side by
side, read from the service model botocore ships: a field SageMaker adds is accepted, checked
and delivered with no change here. Where two requests share a member name, the first keeps it
and the other gets its resource's name in front (`EndpointConfigExecutionRoleArn`), unless the
other is an update of the same resource, where the name means the same thing. Each type declares
its requests, its own additions and the names it fills in itself (`PropertySet`); one walker
(api_shapes.conform) then checks all of it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from botocore.model import Shape, ShapeResolver

from endpoint_provider.api_shapes import service_description

MODEL = "model"
PROVIDER = "provider"
# SageMaker allows 50 tags per resource; the provider adds its ownership tags to each.
MAX_TAGS = 50
# A structure whose members the provider's own pydantic model checks (AutoScaling).
PROVIDER_OWNED = "CustomProviderOwned"
SERVICE_TOKEN = "CustomServiceToken"
SERVICE_TIMEOUT = "CustomServiceTimeout"

COMMON_MEMBERS: dict[str, dict[str, Any]] = {
    "ServiceToken": {
        "shape": SERVICE_TOKEN,
        "documentation": "The provider's ARN (the stack export).",
    },
    "ServiceTimeout": {
        "shape": SERVICE_TIMEOUT,
        "documentation": "Seconds CloudFormation waits for each operation (default 3600).",
    },
}
COMMON_SHAPES: dict[str, dict[str, Any]] = {
    PROVIDER_OWNED: {"type": "structure", "members": {}, "document": True},
    SERVICE_TOKEN: {"type": "string"},
    SERVICE_TIMEOUT: {"type": "integer", "min": 1, "max": 3600},
}


@dataclass(frozen=True)
class Route:
    """Where a top-level property goes: which request, under which member name."""

    request: str
    member: str


@dataclass(frozen=True)
class RequestSource:
    """A SageMaker request whose members become properties. `updates` names the request that
    creates the same resource: members the two share are one property, routed to that one."""

    input_shape: str
    prefix: str
    updates: str | None = None


def sagemaker_shapes() -> dict[str, Any]:
    shapes: dict[str, Any] = service_description("sagemaker")["shapes"]
    return shapes


@dataclass(frozen=True, eq=False)
class PropertySet:
    """One resource type's properties: `requests` in order of precedence, the provider's own
    members (`provider_members`, botocore member references), the request members it fills in
    itself, the shapes it adds or changes (`custom_shapes`, given botocore's), and which shape a
    request member takes instead of its own (`member_shapes`)."""

    name: str
    requests: dict[str, RequestSource]
    provider_members: dict[str, dict[str, Any]]
    provider_filled: frozenset[str]
    required: tuple[str, ...]
    ownership_tags: int
    custom_shapes: Callable[[dict[str, Any]], dict[str, Any]] = lambda shapes: {}
    member_shapes: dict[str, str] = field(default_factory=dict)

    @property
    def shape_name(self) -> str:
        return f"{self.name}Properties"

    @property
    def tag_list(self) -> str:
        return f"{self.name}TagList"

    @cached_property
    def routes(self) -> dict[str, Route]:
        """Every top-level property and the request member it becomes."""
        shapes = sagemaker_shapes()
        found = {name: Route(PROVIDER, name) for name in self._members}
        for request, source in self.requests.items():
            for member in shapes[source.input_shape]["members"]:
                if member in self.provider_filled:
                    continue
                if source.updates and found.get(member) == Route(source.updates, member):
                    continue
                name = member if member not in found else source.prefix + member
                found[name] = Route(request, member)
        return found

    @cached_property
    def resolver(self) -> ShapeResolver:
        shapes = dict(sagemaker_shapes())
        members = {}
        for name, route in self.routes.items():
            if route.request == PROVIDER:
                members[name] = self._members[name]
                continue
            input_shape = self.requests[route.request].input_shape
            ref = dict(shapes[input_shape]["members"][route.member])
            ref["shape"] = self.member_shapes.get(route.member, ref["shape"])
            members[name] = ref
        shapes.update(
            {
                **COMMON_SHAPES,
                self.shape_name: {
                    "type": "structure",
                    "required": list(self.required),
                    "members": members,
                },
                self.tag_list: {**shapes["TagList"], "max": MAX_TAGS - self.ownership_tags},
                **self.custom_shapes(shapes),
            }
        )
        return ShapeResolver(shapes)

    @cached_property
    def shape(self) -> Shape:
        return self.resolver.get_shape_by_name(self.shape_name)

    @property
    def _members(self) -> dict[str, dict[str, Any]]:
        return {**COMMON_MEMBERS, **self.provider_members}


def relaxed(shape: dict[str, Any], optional: tuple[str, ...], **members: Any) -> dict[str, Any]:
    """A copy of a botocore structure with some required members made optional and others
    added: the provider fills the former in itself, and declares the latter."""
    changed = copy.deepcopy(shape)
    changed["required"] = [name for name in changed.get("required", []) if name not in optional]
    changed["members"] = {**changed["members"], **members}
    return changed
