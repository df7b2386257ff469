"""Turns pydantic's validation errors (the rules the API cannot state) into (property path,
message) pairs, worded like the API shape check's.

`ProductionVariants[0].InitialInstanceCount: 3 must lie within AutoScaling's MinCapacity...`
says what to fix in the template's own words, which pydantic's default text ("Input should be
greater than or equal to 1") and location tuples do not.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from endpoint_provider.api_shapes import join, shown


class InvalidProperties(ValueError):
    """Every problem found in the properties, each prefixed with its property path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems))


class Problems(ValueError):
    """Raised by model validators: several problems, each at a path relative to the model."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


def check(problems: list[tuple[str, str]]) -> None:
    if problems:
        raise Problems(problems)


def describe(problem: ErrorDetails, root: type[BaseModel]) -> list[tuple[str, str]]:
    """(property path, message) for one pydantic error."""
    path = _path(problem["loc"])
    error = problem.get("ctx", {}).get("error")
    if isinstance(error, Problems):
        return [(_join_path(path, relative), message) for relative, message in error.problems]
    return [(path, _message(problem, root))]


def is_cross_field(problem: ErrorDetails) -> bool:
    """Raised by a model validator: a rule across fields, not a field's own type or range."""
    return isinstance(problem.get("ctx", {}).get("error"), Problems)


def _join_path(parent: str, child: str) -> str:
    if not parent or not child:
        return parent or child
    return parent + child if child.startswith("[") else f"{parent}.{child}"


def _path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path = join(path, part)
    return path


_MESSAGES: dict[str, Callable[[ErrorDetails], str]] = {
    "missing": lambda p: "required",
    "greater_than_equal": lambda p: f"must be >= {p['ctx']['ge']:g}",
    "greater_than": lambda p: f"must be > {p['ctx']['gt']:g}",
    "less_than_equal": lambda p: f"must be <= {p['ctx']['le']:g}",
    "multiple_of": lambda p: f"must be a multiple of {p['ctx']['multiple_of']:g}",
    "int_parsing": lambda p: f"must be an integer, got {shown(p['input'])}",
    "int_parsing_size": lambda p: (
        f"must be an integer of at most 19 digits, got {shown(p['input'])}"
    ),
    "finite_number": lambda p: f"must be a finite number, got {shown(p['input'])}",
    "int_from_float": lambda p: f"must be an integer, got {shown(p['input'])}",
    "float_parsing": lambda p: f"must be a number, got {shown(p['input'])}",
    "bool_parsing": lambda p: f"must be true or false, got {shown(p['input'])}",
    "too_short": lambda p: f"needs at least {p['ctx']['min_length']} item(s)",
    "too_long": lambda p: f"allows at most {p['ctx']['max_length']} item(s)",
    "string_too_long": lambda p: f"must be at most {p['ctx']['max_length']} characters",
    "string_too_short": lambda p: f"must be at least {p['ctx']['min_length']} characters",
    "literal_error": lambda p: f"must be {p['ctx']['expected']}, got {shown(p['input'])}",
    "value_error": lambda p: str(p["ctx"]["error"]),
    "list_type": lambda p: "must be a list",
    "model_type": lambda p: "must be a map of properties",
    "model_attributes_type": lambda p: "must be a map of properties",
    "dict_type": lambda p: "must be a map",
    "string_type": lambda p: "must be a string",
}


def _message(problem: ErrorDetails, root: type[BaseModel]) -> str:
    if problem["type"] == "extra_forbidden":
        return _unknown_property(problem["loc"], root)
    explain = _MESSAGES.get(problem["type"])
    return explain(problem) if explain else problem["msg"]


def _unknown_property(location: tuple[int | str, ...], root: type[BaseModel]) -> str:
    known = _known_fields(location[:-1], root)
    close = difflib.get_close_matches(str(location[-1]), known, n=1)
    return f"unknown property (did you mean {close[0]}?)" if close else "unknown property"


def _known_fields(parent: tuple[int | str, ...], root: type[BaseModel]) -> list[str]:
    model: Any = root
    for part in parent:
        if isinstance(part, int):
            continue
        model = field_model(model.model_fields[part].annotation)
        if model is None:
            return []
    return list(model.model_fields)


def field_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `list[X] | None`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = field_model(argument)
        if found:
            return found
    return None
