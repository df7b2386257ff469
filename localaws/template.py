"""Reads CloudFormation templates and resolves the intrinsic functions a consumer stack uses.

Templates are read by cfn-lint's decoder: it knows CloudFormation's short forms (!Ref, !Sub,
!GetAtt ...) and keeps each value's line, so a mistake can be pointed at. Enough of
CloudFormation to deploy the examples locally: parameters, conditions, Ref, Fn::Sub, Fn::If,
Fn::Equals, Fn::Not, Fn::Join, Fn::ImportValue, and Fn::GetAtt / Ref of resources already
created. A reference that cannot be resolved raises TemplateError, worded as CloudFormation
words it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfnlint.decode import decode_str

NO_VALUE = object()
PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackName",
)


class TemplateError(Exception):
    """A template mistake, as one line: where it is and what is wrong."""


class _Unresolved(Exception):
    """What is wrong with one intrinsic function; resolve() adds where it is."""


def load_template(path: str | Path) -> dict[str, Any]:
    template, problems = decode_str(Path(path).read_text())
    if problems:
        first = problems[0]
        raise TemplateError(f"{path}:{first.linenumber}: {first.message}")
    if not isinstance(template, dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no top-level map)")
    return template


def did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


@dataclass
class Stack:
    """A consumer stack's template with its parameter values and what it has created."""

    template: dict[str, Any]
    name: str
    region: str
    account: str
    parameters: dict[str, str] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)

    def resolve(self, value: Any, where: str = "") -> Any:
        """`value` with its intrinsic functions resolved; `where` names it in errors, as a
        path such as Resources.ChurnEndpoint.Properties."""
        if isinstance(value, list):
            resolved = (self.resolve(item, f"{where}[{n}]") for n, item in enumerate(value))
            return [item for item in resolved if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _FUNCTIONS.get(key)
            if function:
                try:
                    return function(self, argument, where)
                except _Unresolved as error:
                    raise TemplateError(f"{_located(where, value)}: {error}") from None
                except (KeyError, IndexError, TypeError, ValueError) as error:
                    raise TemplateError(
                        f"{_located(where, value)}: malformed {key} {argument!r} ({error})"
                    ) from None
        resolved = {key: self.resolve(item, _child(where, key)) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        conditions = self.template.get("Conditions", {})
        if name not in conditions:
            raise _Unresolved(
                f"Template format error: Unresolved dependencies [{name}]; "
                f"no condition of that name{did_you_mean(name, list(conditions))}"
            )
        return bool(self.resolve(conditions[name], f"Conditions.{name}"))

    def parameter_values(self) -> dict[str, str]:
        declared = self.template.get("Parameters", {})
        values = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
        unknown = sorted(set(self.parameters) - set(declared))
        if unknown:
            hint = did_you_mean(unknown[0], list(declared))
            raise TemplateError(
                f"Parameters: [{', '.join(unknown)}] do not exist in the template{hint}"
            )
        return {**values, **self.parameters}

    def _ref(self, name: str) -> Any:
        pseudo = {
            "AWS::StackName": self.name,
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": "aws",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        parameters = self.parameter_values()
        if name in parameters:
            return parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        resources = self.template.get("Resources", {})
        if name in resources:
            raise _Unresolved(f"{name} is not created yet, so Ref {name} has no value")
        known = [*parameters, *resources, *PSEUDO_PARAMETERS]
        raise _Unresolved(
            f"Template format error: Unresolved resource dependencies [{name}]; "
            f"no parameter or resource of that name{did_you_mean(name, known)}"
        )

    def _get_att(self, resource: str, attribute: str) -> str:
        resources = self.template.get("Resources", {})
        if resource not in resources:
            raise _Unresolved(
                "Template error: instance of Fn::GetAtt references undefined resource "
                f"{resource}{did_you_mean(resource, list(resources))}"
            )
        if resource not in self.attributes:
            raise _Unresolved(f"{resource} is not created yet, so it has no attributes")
        attributes = self.attributes[resource]
        if attribute not in attributes:
            raise _Unresolved(
                "CustomResource attribute error: Vendor response doesn't contain "
                f"{attribute} attribute in object {resource}; it has {', '.join(attributes)}"
            )
        return attributes[attribute]

    def _sub(self, argument: Any, where: str) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {key: self.resolve(item, where) for key, item in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match[1]
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self._get_att(*name.split(".", 1))
            return str(self._ref(name))

        return re.sub(r"\$\{([^!}][^}]*)\}", substitute, text)

    def _import_value(self, name: Any, where: str) -> str:
        export = self.resolve(name, where)
        if export not in self.exports:
            raise _Unresolved(
                f"No export named {export} found{did_you_mean(export, list(self.exports))}"
            )
        return self.exports[export]


def _child(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _located(where: str, value: Any) -> str:
    """The path, with the template line when the decoder kept it."""
    mark = getattr(value, "start_mark", None)
    return f"{where} (line {mark.line + 1})" if mark is not None else where


_FUNCTIONS: dict[str, Callable[[Stack, Any, str], Any]] = {
    "Ref": lambda stack, name, where: stack._ref(name),
    "Fn::Sub": lambda stack, argument, where: stack._sub(argument, where),
    "Fn::If": lambda stack, argument, where: stack.resolve(
        argument[1] if stack.condition(argument[0]) else argument[2], where
    ),
    "Fn::Equals": lambda stack, argument, where: (
        stack.resolve(argument[0], where) == stack.resolve(argument[1], where)
    ),
    "Fn::Not": lambda stack, argument, where: not stack.resolve(argument[0], where),
    "Fn::Join": lambda stack, argument, where: argument[0].join(
        map(str, stack.resolve(argument[1], where))
    ),
    "Fn::ImportValue": lambda stack, name, where: stack._import_value(name, where),
    "Fn::GetAtt": lambda stack, argument, where: stack._get_att(argument[0], argument[1]),
}
