"""Reads CloudFormation templates and resolves the intrinsic functions a consumer stack uses.

Enough of CloudFormation to deploy the examples locally: parameters, conditions, Ref, Fn::Sub,
Fn::If, Fn::Equals, Fn::Not, Fn::Join, Fn::ImportValue, and Fn::GetAtt / Ref of custom
resources already created.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

NO_VALUE = object()


class TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !Sub, ...) turned into their long forms."""


def _long_form(loader: TemplateLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix in {"Ref", "Condition"}:
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


TemplateLoader.add_multi_constructor("!", _long_form)


def load_template(path: str | Path) -> dict[str, Any]:
    return yaml.load(Path(path).read_text(), Loader=TemplateLoader)


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

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in map(self.resolve, value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = _FUNCTIONS.get(key)
            if function:
                return function(self, argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def parameter_values(self) -> dict[str, str]:
        declared = self.template.get("Parameters", {})
        values = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
        unknown = set(self.parameters) - set(declared)
        if unknown:
            raise KeyError(f"parameters not in the template: {', '.join(sorted(unknown))}")
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
        return self.physical_ids[name]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {key: self.resolve(item) for key, item in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match[1]
            if name in variables:
                return str(variables[name])
            if "." in name:
                resource, attribute = name.split(".", 1)
                return self.attributes[resource][attribute]
            return str(self._ref(name))

        return re.sub(r"\$\{([^!}][^}]*)\}", substitute, text)


_FUNCTIONS = {
    "Ref": lambda stack, name: stack._ref(name),
    "Fn::Sub": lambda stack, argument: stack._sub(argument),
    "Fn::If": lambda stack, argument: stack.resolve(
        argument[1] if stack.condition(argument[0]) else argument[2]
    ),
    "Fn::Equals": lambda stack, argument: stack.resolve(argument[0]) == stack.resolve(argument[1]),
    "Fn::Not": lambda stack, argument: not stack.resolve(argument[0]),
    "Fn::Join": lambda stack, argument: argument[0].join(map(str, stack.resolve(argument[1]))),
    "Fn::ImportValue": lambda stack, name: stack.exports[stack.resolve(name)],
    "Fn::GetAtt": lambda stack, argument: stack.attributes[argument[0]][argument[1]],
}
