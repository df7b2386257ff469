"""Checks a value against a botocore shape the way the service would, and coerces it on the way.

botocore's own ParamValidator checks types, required members and minimums only; SageMaker also
refuses values above a maximum, outside an enum, too long or not matching a pattern, and
CloudFormation delivers every scalar as a string. `conform` walks a value and its shape
together, turns strings into the shape's type ("1" -> 1, "true" -> True), and reports every
violation as (path, message), the path in the caller's own terms.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, cast

from botocore.loaders import Loader
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StringShape, StructureShape
from pydantic_core import SchemaError, SchemaValidator, ValidationError, core_schema

# The ranges the services' Java-typed members hold when the model states no min or max.
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_INTEGER = re.compile(r"^[+-]?\d+$")
# More digits than any 64-bit integer has. Python refuses to convert a string of more than 4300
# digits (a template may hold one), and the range check needs no more than its sign.
_MAX_DIGITS = 20
_BEYOND_EVERY_RANGE: int = 10**_MAX_DIGITS
_TRUE, _FALSE = "true", "false"
SHOWN_CHARACTERS = 40
SHOWN_NAME_CHARACTERS = 64
# SageMaker's name patterns (endpoints, configs, variants; models), in words.
_PATTERN_HINTS = {
    "[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}": "must be 1-63 letters, digits or hyphens, not "
    "starting or ending with a hyphen",
    "[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?": "must be letters, digits or hyphens, not "
    "starting or ending with a hyphen",
}


@cache
def service_description(service: str) -> dict[str, Any]:
    """The service model botocore ships (in Lambda, the layer's botocore), as loaded."""
    description: dict[str, Any] = Loader().load_service_model(service, "service-2")
    return description


@cache
def service_model(service: str) -> ServiceModel:
    return ServiceModel(service_description(service), service)


def input_shape(service: str, operation: str) -> StructureShape:
    shape = service_model(service).operation_model(operation).input_shape
    # Every operation the provider checks takes parameters.
    assert shape is not None, f"{service} {operation} has no input"
    return shape


@dataclass
class Conformed:
    value: Any
    problems: list[tuple[str, str]] = field(default_factory=list)


def conform(shape: Shape, value: Any) -> Conformed:
    """`value` coerced to `shape`, with every way it breaks the shape's rules."""
    problems: list[tuple[str, str]] = []
    return Conformed(_conform(shape, value, "", problems), problems)


def request_problems(service: str, operation: str, request: Mapping[str, Any]) -> list[str]:
    """Every rule of the operation's input shape that `request` breaks, as text."""
    found = conform(input_shape(service, operation), request).problems
    return [f"{path}: {message}" if path else message for path, message in found]


def join(path: str, child: str | int) -> str:
    if isinstance(child, int):
        return f"{path}[{child}]"
    if len(child) > SHOWN_NAME_CHARACTERS:
        # A hostile key must not blow a problem past what CloudFormation can show.
        child = child[: SHOWN_NAME_CHARACTERS - 3] + "..."
    return f"{path}.{child}" if path else child


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 3] + "..."


def _conform(shape: Shape, value: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    if shape.metadata.get("document"):
        # Left to whoever declared the member a document (the provider's own AutoScaling).
        return value
    kind = shape.type_name
    # botocore's ShapeResolver builds the class the type name says.
    if kind == "structure":
        return _structure(cast(StructureShape, shape), value, path, problems)
    if kind == "list":
        return _list(cast(ListShape, shape), value, path, problems)
    if kind == "map":
        return _map(cast(MapShape, shape), value, path, problems)
    return _scalar(shape, value, path, problems)


def _structure(
    shape: StructureShape, value: Any, path: str, problems: list[tuple[str, str]]
) -> Any:
    if not isinstance(value, dict):
        problems.append((path, "must be a map of properties"))
        return value
    members = shape.members
    result = {}
    for name, item in value.items():
        if name not in members:
            problems.append(_unknown(path, name, list(members)))
            continue
        result[name] = _conform(members[name], item, join(path, name), problems)
    for name in shape.required_members:
        if name not in value:
            problems.append((join(path, name), "required"))
    return result


def _unknown(path: str, name: Any, known: list[str]) -> tuple[str, str]:
    if not isinstance(name, str) or not name:
        # An empty name has no path of its own: name where it sits, the top level included.
        return (path or "ResourceProperties", f"unknown property {shown(name)} (an empty name)")
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (join(path, name), f"unknown property{hint}")


def _list(shape: ListShape, value: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    if not isinstance(value, list):
        problems.append((path, "must be a list"))
        return value
    _size(shape, len(value), path, problems, "item(s)")
    return [_conform(shape.member, item, join(path, i), problems) for i, item in enumerate(value)]


def _map(shape: MapShape, value: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    if isinstance(value, str):
        # CloudFormation's Json-typed properties (a container's Environment) may arrive as a
        # JSON string of an object; SageMaker only ever receives the object.
        try:
            value = json.loads(value)
        except ValueError:
            problems.append((path, "must be a map, or a JSON object as a string"))
            return value
    if not isinstance(value, dict):
        problems.append((path, "must be a map"))
        return value
    _size(shape, len(value), path, problems, "entries")
    result = {}
    for key, item in value.items():
        where = join(path, str(key))
        checked_key = _conform(shape.key, key, f"{where} (the name)", problems)
        result[checked_key] = _conform(shape.value, item, where, problems)
    return result


def _size(shape: Shape, size: int, path: str, problems: list[tuple[str, str]], unit: str) -> None:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and size < low:
        problems.append((path, f"needs at least {low} {unit}"))
    if high is not None and size > high:
        problems.append((path, f"allows at most {high} {unit}"))


def _scalar(shape: Shape, value: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        return _integer(shape, value, path, problems)
    if kind in ("float", "double"):
        return _number(shape, value, path, problems)
    if kind == "boolean":
        return _boolean(value, path, problems)
    if kind == "string":
        return _string(cast(StringShape, shape), value, path, problems)
    if kind == "blob" and isinstance(value, str | bytes):
        return value
    problems.append((path, f"must be a {kind}"))
    return value


def _integer(shape: Shape, value: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    number = value
    if isinstance(value, str) and _INTEGER.match(text := value.strip()):
        number = _bounded_int(text)
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int):
        problems.append((path, f"must be an integer, got {shown(value)}"))
        return value
    low, high = INT32 if shape.type_name == "integer" else INT64
    _range(shape, number, path, problems, low, high)
    return number


def _bounded_int(text: str) -> int:
    """The integer a string of digits holds, or one beyond every range with its sign."""
    if len(text.lstrip("+-")) <= _MAX_DIGITS:
        return int(text)
    return -_BEYOND_EVERY_RANGE if text.startswith("-") else _BEYOND_EVERY_RANGE


def _number(shape: Shape, value: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int | float):
        problems.append((path, f"must be a number, got {shown(value)}"))
        return value
    number = float(number)
    if not math.isfinite(number):
        problems.append((path, f"must be a finite number, got {shown(value)}"))
        return value
    _range(shape, number, path, problems, None, None)
    return number


def _range(
    shape: Shape,
    number: float,
    path: str,
    problems: list[tuple[str, str]],
    low: float | None,
    high: float | None,
) -> None:
    low = shape.metadata.get("min", low)
    high = shape.metadata.get("max", high)
    if low is not None and number < low:
        problems.append((path, f"must be >= {_number_text(low)}"))
    elif high is not None and number > high:
        problems.append((path, f"must be <= {_number_text(high)}"))


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


def _boolean(value: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in (_TRUE, _FALSE):
        return value.strip().lower() == _TRUE
    problems.append((path, f"must be true or false, got {shown(value)}"))
    return value


def _string(shape: StringShape, value: Any, path: str, problems: list[tuple[str, str]]) -> Any:
    if not isinstance(value, str):
        problems.append((path, f"must be a string, got {shown(value)}"))
        return value
    enum = shape.enum
    if enum and value not in enum:
        problems.append((path, f"must be one of {_choices(enum)}, got {shown(value)}"))
        return value
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and len(value) < low:
        problems.append((path, f"must be at least {low} characters"))
    elif high is not None and len(value) > high:
        problems.append((path, f"must be at most {high} characters"))
    pattern = shape.metadata.get("pattern")
    if pattern and not matches(pattern, value):
        hint = _PATTERN_HINTS.get(pattern) or f"must match {_pattern_text(pattern)}"
        problems.append((path, f"{hint}, got {shown(value)}"))
    return value


def _choices(enum: list[str]) -> str:
    if len(enum) <= 6:
        return ", ".join(enum)
    return f"the {len(enum)} values SageMaker's API lists (such as {enum[0]})"


def _pattern_text(pattern: str) -> str:
    return pattern if len(pattern) <= 60 else pattern[:57] + "..."


def matches(pattern: str, value: str) -> bool:
    """SageMaker matches the whole value ("failed to satisfy constraint: Member must satisfy
    regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}" for `my_endpoint`), although
    botocore's models often leave the anchors out."""
    matcher = _matcher(pattern)
    return matcher is None or matcher(value)


def checkable(pattern: str) -> bool:
    return _matcher(pattern) is not None


# Java's POSIX classes, ASCII-only as Java reads them by default.
_POSIX_CLASSES = {"Print": r"\x20-\x7E", "Alnum": "a-zA-Z0-9", "Alpha": "a-zA-Z", "Digit": "0-9"}
_POSIX_CLASS = re.compile(r"\\p\{(\w+)\}")
# Java spells the supplementary planes as a surrogate-pair range; Python needs code points.
_SURROGATE_PAIRS = r"\uD800\uDC00-\uDBFF\uDFFF"
_SUPPLEMENTARY = r"\U00010000-\U0010FFFF"


def translated(pattern: str) -> str:
    """A Java-flavoured pattern from a service model in the syntax Python and Rust share."""
    pattern = pattern.replace(_SURROGATE_PAIRS, _SUPPLEMENTARY)
    parts, in_class, index = [], False, 0
    while index < len(pattern):
        posix = _POSIX_CLASS.match(pattern, index)
        if posix and posix[1] in _POSIX_CLASSES:
            body = _POSIX_CLASSES[posix[1]]
            parts.append(body if in_class else f"[{body}]")
            index = posix.end()
            continue
        character = pattern[index]
        if character == "\\":
            parts.append(pattern[index : index + 2])
            index += 2
            continue
        in_class = {"[": True, "]": False}.get(character, in_class)
        parts.append(character)
        index += 1
    return "".join(parts)


@cache
def _matcher(pattern: str) -> Any:
    pattern = translated(pattern)
    try:
        compiled = re.compile(pattern)
    except re.error:
        return _rust_matcher(pattern)
    return lambda value: compiled.fullmatch(value) is not None


def _rust_matcher(pattern: str) -> Any:
    """Unicode classes such as \\p{L} (tag keys and values): Python's re lacks them, the Rust
    engine inside pydantic-core (already in the layer) has them."""
    try:
        validator = SchemaValidator(
            core_schema.str_schema(pattern=f"^(?:{pattern})$", regex_engine="rust-regex")
        )
    except SchemaError:
        # Neither engine can run it (a 1024-fold Unicode class outgrows Rust's size limit):
        # SageMaker still checks it. The conformance test asserts that no member of a request
        # the provider sends has such a pattern.
        return None

    def rust(value: str) -> bool:
        try:
            validator.validate_python(value)
        except ValidationError:
            return False
        return True

    return rust
