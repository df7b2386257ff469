"""Valid example values for botocore shapes, so a test can build a request member by member.

A value satisfies its shape (enum, range, length, pattern): strings are generated from the
pattern itself, by walking Python's parse of it and taking the smallest repetition that meets
the length limits.
"""

from __future__ import annotations

import re
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from botocore.model import Shape

from endpoint_provider.api_shapes import conform, translated

# Tried when a pattern is beyond the generator (Unicode classes Python cannot parse).
FALLBACK_STRINGS = ["a", "example", "a1", "value-1"]
REPEATS = (1, 0, 2, 4, 8, 16, 32)
_CATEGORY_CHARACTERS = {
    sre.CATEGORY_DIGIT: "0",
    sre.CATEGORY_NOT_DIGIT: "a",
    sre.CATEGORY_WORD: "a",
    sre.CATEGORY_NOT_WORD: "-",
    sre.CATEGORY_SPACE: " ",
    sre.CATEGORY_NOT_SPACE: "a",
}
_PREFERRED = "a0-_."


def example(shape: Shape, extra: dict[str, dict[str, Any]] | None = None) -> Any:
    """A value `shape` accepts, with only its required members where it is a structure, plus
    the `extra` members given for a structure of that name (what a rule across members needs,
    such as a container's Image)."""
    extra = extra or {}
    kind = shape.type_name
    if kind == "structure":
        if shape.metadata.get("document"):
            return {}
        required = {name: example(shape.members[name], extra) for name in shape.required_members}
        return {**extra.get(shape.name, {}), **required}
    if kind == "list":
        count = max(1, shape.metadata.get("min", 0))
        return [example(shape.member, extra) for _ in range(count)]
    if kind == "map":
        return {example(shape.key, extra): example(shape.value, extra)}
    if kind in ("integer", "long"):
        return _bounded(shape, 1)
    if kind in ("float", "double"):
        return float(_bounded(shape, 1))
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(shape)
    raise ValueError(f"no example for a {kind} ({shape.name})")


def _bounded(shape: Shape, preferred: int) -> int:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    value = max(preferred, low) if low is not None else preferred
    return min(value, high) if high is not None else value


def _string(shape: Shape) -> str:
    if shape.enum:
        return shape.enum[0]
    pattern = shape.metadata.get("pattern")
    candidates = [_from_pattern(pattern, repeat) for repeat in REPEATS] if pattern else []
    low = shape.metadata.get("min", 0)
    candidates += [*FALLBACK_STRINGS, "a" * max(low, 1)]
    for candidate in candidates:
        if candidate is not None and not conform(shape, candidate).problems:
            return candidate
    raise ValueError(f"no example for {shape.name} ({pattern})")


def _from_pattern(pattern: str, repeat: int) -> str | None:
    try:
        parsed = sre_parse.parse(translated(pattern))
    except re.error:
        return None
    return _generate(parsed, repeat)


def _generate(parsed: Any, repeat: int) -> str:
    out = []
    for op, argument in parsed:
        if op is sre.LITERAL:
            out.append(chr(argument))
        elif op is sre.NOT_LITERAL:
            out.append("b" if chr(argument) == "a" else "a")
        elif op is sre.ANY:
            out.append("a")
        elif op is sre.IN:
            out.append(_character_in(argument))
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, getattr(sre, "POSSESSIVE_REPEAT", None)):
            low, high, item = argument
            count = max(low, min(high, repeat))
            out.append("".join(_generate(item, repeat) for _ in range(count)))
        elif op is sre.SUBPATTERN:
            out.append(_generate(argument[-1], repeat))
        elif op is sre.BRANCH:
            out.append(_generate(argument[1][0], repeat))
        elif op is sre.CATEGORY:
            out.append(_CATEGORY_CHARACTERS.get(argument, "a"))
    return "".join(out)


def _character_in(items: list[tuple[Any, Any]]) -> str:
    if items and items[0][0] is sre.NEGATE:
        excluded = {chr(value) for op, value in items[1:] if op is sre.LITERAL}
        return next(char for char in _PREFERRED + "bcdef" if char not in excluded)
    allowed = []
    for op, value in items:
        if op is sre.LITERAL:
            allowed.append(chr(value))
        elif op is sre.RANGE:
            low, high = value
            allowed += [c for c in _PREFERRED if low <= ord(c) <= high] or [chr(low)]
        elif op is sre.CATEGORY:
            allowed.append(_CATEGORY_CHARACTERS.get(value, "a"))
    preferred = [char for char in allowed if char in _PREFERRED]
    return (preferred or allowed)[0]
