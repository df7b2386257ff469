"""IAM policy evaluation for one request: does a set of identity policies allow an action on a
resource, given the request's condition keys?

Explicit Deny wins, then any Allow; no Allow is an implicit deny. Action, NotAction,
Resource and NotResource match with IAM's wildcards (actions case-insensitively), and the
condition operators the template uses are implemented as IAM documents them, including the
ForAllValues/ForAnyValue set operators, IfExists and Null. A condition on a key the request
context does not hold and cannot hold (`Unknown`) is reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


class Unknown(Exception):
    """The request context does not say what a condition needs (the key was not recorded)."""


@dataclass
class Request:
    action: str
    resource: str
    # Condition keys: single values are strings, multivalued ones (aws:TagKeys) lists.
    context: dict[str, Any] = field(default_factory=dict)
    # Keys IAM would set but the recording does not know (e.g. a read's resource tags).
    unknown_keys: frozenset[str] = frozenset()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.fullmatch(regex, value, flags=flags) is not None


def _matches_action(statement: dict[str, Any], action: str) -> bool:
    if "Action" in statement:
        return any(_wildcard(p, action, ignore_case=True) for p in _as_list(statement["Action"]))
    return not any(_wildcard(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))


def _matches_resource(statement: dict[str, Any], resource: str) -> bool:
    if "Resource" in statement:
        return any(_wildcard(p, resource) for p in _as_list(statement["Resource"]))
    return not any(_wildcard(p, resource) for p in _as_list(statement["NotResource"]))


_COMPARE = {
    "StringEquals": lambda v, p: v == p,
    "StringNotEquals": lambda v, p: v != p,
    "StringEqualsIgnoreCase": lambda v, p: v.lower() == p.lower(),
    "StringLike": lambda v, p: _wildcard(p, v),
    "StringNotLike": lambda v, p: not _wildcard(p, v),
    "ArnEquals": lambda v, p: v == p,
    "ArnLike": lambda v, p: _wildcard(p, v),
    "ArnNotLike": lambda v, p: not _wildcard(p, v),
    "Bool": lambda v, p: str(v).lower() == str(p).lower(),
}
_NEGATED = {"StringNotEquals", "StringNotLike", "ArnNotLike"}


def _key_value(request: Request, key: str) -> Any:
    for known, value in request.context.items():
        if known.lower() == key.lower():
            return value
    if any(key.lower() == unknown.lower() for unknown in request.unknown_keys) or any(
        key.lower().startswith(unknown.lower().rstrip("*"))
        for unknown in request.unknown_keys
        if unknown.endswith("*")
    ):
        raise Unknown(key)
    return None


def _condition_holds(operator: str, key: str, expected: Any, request: Request) -> bool:
    value = _key_value(request, key)
    patterns = [str(p) for p in _as_list(expected)]
    if operator == "Null":
        return (value is None) == (str(expected).lower() == "true")
    set_operator = None
    if ":" in operator:
        set_operator, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    compare = _COMPARE[operator]
    if value is None:
        if set_operator == "ForAllValues":
            return True
        return if_exists or (operator in _NEGATED and set_operator is None)
    values = [str(v) for v in _as_list(value)]

    def one(item: str) -> bool:
        if operator in _NEGATED:
            return all(compare(item, p) for p in patterns)
        return any(compare(item, p) for p in patterns)

    if set_operator == "ForAllValues":
        return all(one(item) for item in values)
    if set_operator == "ForAnyValue":
        return any(one(item) for item in values)
    return one(values[0])


def _conditions_hold(statement: dict[str, Any], request: Request) -> bool:
    return all(
        _condition_holds(operator, key, expected, request)
        for operator, keys in statement.get("Condition", {}).items()
        for key, expected in keys.items()
    )


@dataclass
class Decision:
    allowed: bool
    by: str | None = None


def evaluate(policies: list[dict[str, Any]], request: Request) -> Decision:
    """Raises Unknown when a statement that matches action and resource conditions on a key
    the request context cannot tell."""
    statements = [s for policy in policies for s in _as_list(policy.get("Statement", []))]
    relevant = [
        s
        for s in statements
        if _matches_action(s, request.action) and _matches_resource(s, request.resource)
    ]
    for statement in relevant:
        if statement["Effect"] == "Deny" and _conditions_hold(statement, request):
            return Decision(False, statement.get("Sid", "an unnamed Deny"))
    undecided = None
    for statement in relevant:
        if statement["Effect"] != "Allow":
            continue
        try:
            if _conditions_hold(statement, request):
                return Decision(True, statement.get("Sid", "an unnamed Allow"))
        except Unknown as error:
            undecided = error
    if undecided:
        raise undecided
    return Decision(False)
