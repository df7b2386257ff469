"""Generates docs/Custom-SageMakerEndpoint.md from the property model, so the reference cannot
drift from what the provider accepts. `make docs` rewrites it; a unit test compares."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Gt, Le, MaxLen, MinLen, MultipleOf
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from endpoint_provider.properties import EndpointProperties
from endpoint_provider.property_errors import field_model

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "Custom-SageMakerEndpoint.md"

HEADER = """# `Custom::SageMakerEndpoint` property reference

Generated from `functions/provider/endpoint_provider/properties.py` by
`make docs` (`tools/property_reference.py`); do not edit by hand.

CloudFormation passes every value as a string: numbers and booleans are coerced by the types
below, and unknown properties are rejected. **On change** says what an update does:

- *replacement*: a new endpoint; CloudFormation deletes the old one afterwards.
- *new model and config, in place* / *new config, in place*: new resources with
  content-derived names, one UpdateEndpoint, verified InService on the new config, then the
  superseded config and models are deleted. Autoscaled variants whose instance type changes
  (or that are removed) are deregistered first and registered again afterwards.
- *in place, endpoint untouched*: applied without UpdateEndpoint (tags, autoscaling).
- *in place; governs later updates*: stored for the next UpdateEndpoint.

`Ref` returns the endpoint ARN. `Fn::GetAtt`: `EndpointName`, `EndpointArn`,
`EndpointConfigName`, `ModelName` (the first model), `ModelNames` (all, comma-separated).

| Property | Type | Required / default | Allowed | On change | Description |
|---|---|---|---|---|---|
"""


def render() -> str:
    rows = list(_rows(EndpointProperties, prefix="", inherited_update="in place"))
    return HEADER + "\n".join(rows) + "\n"


def _rows(model: type[BaseModel], prefix: str, inherited_update: str):
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        update = (info.json_schema_extra or {}).get("update", inherited_update)
        cells = [f"`{path}`", _type(info.annotation), _presence(info), _allowed(info), update]
        yield "| " + " | ".join([*cells, info.description or ""]) + " |"
        nested = field_model(info.annotation)
        if nested is not None:
            separator = "[]." if _is_list(info.annotation) else "."
            yield from _rows(nested, f"{path}{separator}", update)


def _type(annotation: Any) -> str:
    options = [arg for arg in _union(annotation) if arg is not type(None)]
    return " or ".join(_type_name(option) for option in options)


def _type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is list:
        return f"list of {_type_name(get_args(annotation)[0])}"
    if origin is dict:
        return "map of string"
    if origin is Literal:
        return "string"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return {int: "integer", float: "number", bool: "boolean", str: "string"}[annotation]


def _presence(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    default = info.get_default(call_default_factory=True)
    if default is None or default == [] or default == {} or default is PydanticUndefined:
        return "optional"
    return f"default `{str(default).lower() if isinstance(default, bool) else default}`"


def _allowed(info: FieldInfo) -> str:
    facts = []
    literals = [arg for arg in _union(info.annotation) if get_origin(arg) is Literal]
    for literal in literals:
        facts.append(", ".join(f"`{value}`" for value in get_args(literal)))
    for item in _union(info.annotation):
        if get_origin(item) is list and get_origin(get_args(item)[0]) is Literal:
            facts.append("each " + ", ".join(f"`{v}`" for v in get_args(get_args(item)[0])))
    facts += [_constraint(constraint) for constraint in info.metadata]
    return "; ".join(fact for fact in facts if fact)


def _constraint(constraint: Any) -> str:
    if isinstance(constraint, Ge):
        return f">= {constraint.ge}"
    if isinstance(constraint, Gt):
        return f"> {constraint.gt}"
    if isinstance(constraint, Le):
        return f"<= {constraint.le}"
    if isinstance(constraint, MultipleOf):
        return f"multiple of {constraint.multiple_of}"
    if isinstance(constraint, MinLen):
        return f"at least {constraint.min_length}"
    if isinstance(constraint, MaxLen):
        return f"at most {constraint.max_length}"
    pattern = getattr(constraint, "pattern", None)
    return f"`{pattern}`".replace("|", "\\|") if pattern else ""


def _union(annotation: Any) -> tuple[Any, ...]:
    is_union = isinstance(annotation, types.UnionType) or get_origin(annotation) is Union
    return get_args(annotation) if is_union else (annotation,)


def _is_list(annotation: Any) -> bool:
    return any(get_origin(option) is list for option in _union(annotation))


def main() -> int:
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(render())
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
