"""Generates each resource type's property reference (docs/Custom-SageMakerEndpoint.md,
docs/Custom-SageMakerInferenceComponent.md) from the shapes the provider validates with (the
properties' shape derived from botocore's SageMaker model, plus the provider's own pydantic
models), so a reference cannot drift from what the provider accepts. `make docs` rewrites them;
a unit test compares. What each reference says besides its shapes is in tools/references.py."""

from __future__ import annotations

import html
import re
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import botocore
from annotated_types import Ge, Gt, Le, MaxLen, MinLen, MultipleOf
from botocore.model import Shape
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from endpoint_provider.property_errors import field_model
from endpoint_provider.property_shapes import PropertySet

DESCRIPTION_CHARACTERS = 160
ENUM_VALUES_SHOWN = 8
DOCS = Path(__file__).resolve().parent.parent / "docs"


@dataclass(frozen=True)
class Reference:
    """What one resource type's reference says besides its shapes."""

    resource_type: str
    properties: PropertySet
    # The pydantic model whose fields add rules to SageMaker's shapes.
    model: type[BaseModel]
    # The provider's own structure (a document in the shape), listed from its pydantic model.
    provider_owned: type[BaseModel] | None
    # What changing a property does: by the request it goes to, then by its own name.
    request_updates: dict[str, str]
    property_updates: dict[str, str]
    nested_updates: dict[str, str]
    # Defaults the provider applies where SageMaker's model states none.
    defaults: dict[str, str]
    header: str
    porting: list[tuple[str, str]]

    @property
    def document(self) -> Path:
        return DOCS / f"{self.resource_type.replace('::', '-')}.md"


def render(ref: Reference) -> str:
    top = ref.properties.shape
    rows = []
    table = ref.properties.routes
    seen: dict[str, str] = {}
    for name, member in top.members.items():
        update = ref.property_updates.get(name) or ref.request_updates[table[name].request]
        required = name in top.required_members
        pydantic_field = ref.model.model_fields.get(name)
        rows += _shape_rows(ref, name, member, required, update, pydantic_field, seen)
    porting = "\n".join(
        ["| Native property | Here |", "|---|---|"] + [f"| {a} | {b} |" for a, b in ref.porting]
    )
    header = ref.header.format(botocore=botocore.__version__, porting=porting)
    return header + "\n".join(rows) + "\n"


def _shape_rows(
    ref: Reference,
    path: str,
    shape: Shape,
    required: bool,
    update: str,
    pydantic_field: FieldInfo | None,
    seen: dict[str, str],
) -> Iterator[str]:
    name = path.rsplit(".", 1)[-1].removesuffix("[]")
    update = ref.nested_updates.get(name, update) if "." in path else update
    if shape.metadata.get("document") and ref.provider_owned:
        yield _row(path, "object", _presence(ref, path, required), "", update, _describe(shape))
        yield from _pydantic_rows(ref.provider_owned, f"{path}.", update)
        return
    element, separator = _element(shape)
    description = _describe(shape)
    repeated = element.type_name == "structure" and element.name in seen
    if repeated:
        description = f"{description} Members as `{seen[element.name]}`.".strip()
    allowed = "; ".join(filter(None, [_allowed(shape), *_pydantic_facts(pydantic_field)]))
    yield _row(path, _type(shape), _presence(ref, path, required), allowed, update, description)
    if element.type_name != "structure" or repeated:
        return
    seen[element.name] = path + ("[]" if shape.type_name == "list" else "")
    nested = field_model(pydantic_field.annotation) if pydantic_field else None
    for member_name, member in element.members.items():
        yield from _shape_rows(
            ref,
            f"{path}{separator}{member_name}",
            member,
            member_name in element.required_members,
            update,
            nested.model_fields.get(member_name) if nested else None,
            seen,
        )


def _element(shape: Shape) -> tuple[Shape, str]:
    if shape.type_name == "list":
        return shape.member, "[]."
    return shape, "."


def _type(shape: Shape) -> str:
    kind = shape.type_name
    if kind == "list":
        return f"list of {_type(shape.member)}"
    if kind == "map":
        return f"map of {_type(shape.value)}"
    return {
        "structure": "object",
        "integer": "integer",
        "long": "integer",
        "float": "number",
        "double": "number",
    }.get(kind, kind)


def _presence(ref: Reference, path: str, required: bool) -> str:
    if path in ref.defaults:
        return f"default {ref.defaults[path]}"
    return "required" if required else "optional"


def _allowed(shape: Shape) -> str:
    facts = []
    if shape.type_name == "string" and shape.enum:
        values = shape.enum
        shown = ", ".join(f"`{value}`" for value in values[:ENUM_VALUES_SHOWN])
        more = len(values) - ENUM_VALUES_SHOWN
        facts.append(shown + (f" and {more} more (SageMaker API reference)" if more > 0 else ""))
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    unit = {"string": " characters", "list": " items", "map": " entries"}.get(shape.type_name, "")
    if low is not None and (low > 0 or not unit):
        facts.append(f">= {low}{unit}")
    if high is not None:
        facts.append(f"<= {high}{unit}")
    pattern = shape.metadata.get("pattern")
    if pattern:
        facts.append("`" + pattern.replace("|", "\\|").replace("`", "'") + "`")
    return "; ".join(facts)


def _describe(shape: Shape) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", shape.documentation or ""))
    text = " ".join(text.split())
    sentence = re.split(r"(?<=\.)\s", text, maxsplit=1)[0]
    if len(sentence) > DESCRIPTION_CHARACTERS:
        sentence = sentence[: DESCRIPTION_CHARACTERS - 3].rstrip() + "..."
    return sentence.replace("|", "\\|")


def _row(path: str, *cells: str) -> str:
    return "| " + " | ".join([f"`{path}`", *cells]) + " |"


# The provider's own AutoScaling, and the rules its pydantic models add to SageMaker's shapes.


def _pydantic_rows(model: type[BaseModel], prefix: str, update: str) -> Iterator[str]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        presence = _pydantic_presence(info)
        allowed = "; ".join(_literal_facts(info) + _pydantic_facts(info))
        yield _row(
            path, _pydantic_type(info.annotation), presence, allowed, update, info.description or ""
        )
        nested = field_model(info.annotation)
        if nested is not None:
            separator = "[]." if _is_list(info.annotation) else "."
            yield from _pydantic_rows(nested, f"{path}{separator}", update)


def _pydantic_type(annotation: Any) -> str:
    options = [arg for arg in _union(annotation) if arg is not type(None)]
    return " or ".join(_pydantic_type_name(option) for option in options)


def _pydantic_type_name(annotation: Any) -> str:
    origin = get_origin(annotation)
    if origin is list:
        return f"list of {_pydantic_type_name(get_args(annotation)[0])}"
    if origin is Literal:
        return "string"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "object"
    return {int: "integer", float: "number", bool: "boolean", str: "string"}[annotation]


def _pydantic_presence(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    default = info.get_default(call_default_factory=True)
    if default is None or default == [] or default is PydanticUndefined:
        return "optional"
    return f"default `{str(default).lower() if isinstance(default, bool) else default}`"


def _literal_facts(info: FieldInfo) -> list[str]:
    return [
        ", ".join(f"`{value}`" for value in get_args(option))
        for option in _union(info.annotation)
        if get_origin(option) is Literal
    ]


def _pydantic_facts(info: FieldInfo | None) -> list[str]:
    if info is None:
        return []
    return [fact for fact in map(_constraint, info.metadata) if fact]


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
        return f">= {constraint.min_length} items"
    if isinstance(constraint, MaxLen):
        return f"<= {constraint.max_length} items"
    return ""


def _union(annotation: Any) -> tuple[Any, ...]:
    is_union = isinstance(annotation, types.UnionType) or get_origin(annotation) is Union
    return get_args(annotation) if is_union else (annotation,)


def _is_list(annotation: Any) -> bool:
    return any(get_origin(option) is list for option in _union(annotation))


def main() -> int:
    from tools.references import REFERENCES

    DOCS.mkdir(exist_ok=True)
    for ref in REFERENCES:
        ref.document.write_text(render(ref))
        print(f"wrote {ref.document}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
