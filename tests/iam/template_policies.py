"""The IAM policies template.yaml gives each role, as CloudFormation would deploy them.

A SAM function's role is the one SAM generates (`<Function>Role`, unless the function names
its own `Role`), holding the function's `Policies`; AWS::IAM::Policy resources attach more.
The intrinsic functions are then resolved with one deployment's parameters and the names its
resources were given (`Deployment`).

SAM's translator itself is not used: aws-sam-translator pins a pydantic the layer's does not
allow. SAM policy templates (`SQSPollerPolicy: {...}`) are therefore refused by name, so a
function that starts using one fails here instead of being checked against nothing.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from localaws.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
NO_VALUE = object()
FUNCTION = "AWS::Serverless::Function"


class UnsupportedPolicy(Exception):
    """A function policy this module does not expand (a SAM policy template)."""


@cache
def translated(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template with each SAM function's generated role as a resource of its own."""
    template = load_template(path)
    resources = template["Resources"]
    for name, resource in list(resources.items()):
        properties = resource.get("Properties", {})
        if resource["Type"] != FUNCTION or "Role" in properties:
            continue
        properties["Role"] = {"Fn::GetAtt": [f"{name}Role", "Arn"]}
        role = {"Type": "AWS::IAM::Role", "Properties": {"Policies": []}}
        if "Condition" in resource:
            role["Condition"] = resource["Condition"]
        for index, entry in enumerate(properties.get("Policies", [])):
            document = _policy_document(name, entry)
            if document is not None:
                role["Properties"]["Policies"].append(
                    {"PolicyName": f"{name}RolePolicy{index}", "PolicyDocument": document}
                )
        resources[f"{name}Role"] = role
    return template


def _policy_document(function: str, entry: Any) -> dict[str, Any] | None:
    if isinstance(entry, str):
        # A managed policy by name or ARN: its content is not in the template.
        return None
    if "Statement" in entry:
        return entry
    if "Fn::If" in entry:
        return {"Fn::If": entry["Fn::If"]}
    raise UnsupportedPolicy(f"{function}: SAM policy template {next(iter(entry))} not expanded")


@cache
def _entry_points(path: Path = TEMPLATE) -> tuple[tuple[str, str, str, str], ...]:
    """(function, code folder, handler file, handler name) of each SAM function; an inline
    function's code runs under the file name `<inline:Id>`."""
    template = load_template(path)
    found = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != FUNCTION:
            continue
        properties = resource["Properties"]
        handler = properties.get("Handler", "")
        module, _, function_name = handler.rpartition(".")
        if "InlineCode" in properties:
            folder = file = f"<inline:{name}>"
        else:
            folder = properties["CodeUri"].rstrip("/")
            file = f"{folder}/{module.replace('.', '/')}.py"
        found.append((name, folder, file, function_name))
    return tuple(found)


def function_of(code_file: str, code_name: str, path: Path = TEMPLATE) -> str | None:
    """The template function whose code this is: the one whose handler it is, else the only
    function with code in that folder; None when no function, or several, could be it."""
    entries = _entry_points(path)
    for name, _, file, handler in entries:
        if (file, handler) == (code_file, code_name):
            return name
    folders = {
        name
        for name, folder, _, _ in entries
        if code_file == folder or code_file.startswith(f"{folder}/")
    }
    return folders.pop() if len(folders) == 1 else None


@dataclass
class Deployment:
    """One deployment of template.yaml: parameters, and what Ref/GetAtt of resources give."""

    stack_name: str
    region: str
    account: str
    parameters: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    partition: str = "aws"

    def with_environment(self, function: str, environment: dict[str, str]) -> Deployment:
        """This deployment as a function's environment shows it: each variable template.yaml
        sets from a parameter, a Ref or a GetAtt binds that name to the value the function saw."""
        bound = copy.deepcopy(self)
        declared = (
            translated()["Resources"][function]["Properties"]
            .get("Environment", {})
            .get("Variables", {})
        )
        resolver = Resolver(bound)
        for variable, expression in declared.items():
            if variable in environment:
                bound._bind(resolver, expression, environment[variable])
        return bound

    def _bind(self, resolver: Resolver, expression: Any, value: str) -> None:
        if isinstance(expression, dict) and "Fn::If" in expression:
            condition, when_true, when_false = expression["Fn::If"]
            branch = when_true if resolver.condition(condition) else when_false
            self._bind(resolver, branch, value)
        elif isinstance(expression, dict) and "Ref" in expression:
            name = expression["Ref"]
            if name in translated().get("Parameters", {}):
                self.parameters[name] = value
            else:
                self.refs[name] = value
        elif isinstance(expression, dict) and "Fn::GetAtt" in expression:
            resource, attribute = expression["Fn::GetAtt"]
            self.attributes[(resource, attribute)] = value


class Resolver:
    def __init__(self, deployment: Deployment, template: dict[str, Any] | None = None):
        self.deployment = deployment
        self.template = template or translated()

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in map(self.resolve, value) if item is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            function = getattr(self, "_" + key.replace("Fn::", "fn_"), None)
            if function:
                return function(argument)
        resolved = {key: self.resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template["Conditions"][name]))

    def exists(self, resource: str) -> bool:
        condition = self.template["Resources"][resource].get("Condition")
        return condition is None or self.condition(condition)

    def parameter(self, name: str) -> Any:
        spec = self.template["Parameters"][name]
        value = self.deployment.parameters.get(name, str(spec.get("Default", "")))
        if spec["Type"] == "CommaDelimitedList":
            return value.split(",")
        return value

    def _Ref(self, name: str) -> Any:
        deployment = self.deployment
        pseudo = {
            "AWS::StackName": deployment.stack_name,
            "AWS::Region": deployment.region,
            "AWS::AccountId": deployment.account,
            "AWS::Partition": deployment.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.template.get("Parameters", {}):
            return self.parameter(name)
        if name in deployment.refs:
            return deployment.refs[name]
        raise KeyError(
            f"the deployment does not say what Ref {name} gives: bind it in tests/iam/checks.py "
            "DEPLOYMENT, or give the function an environment variable of it"
        )

    def _Condition(self, name: str) -> bool:
        return self.condition(name)

    def _fn_GetAtt(self, argument: list[str] | str) -> str:
        resource, attribute = argument.split(".", 1) if isinstance(argument, str) else argument
        known = self.deployment.attributes.get((resource, attribute))
        if known is not None:
            return known
        kind = self.template["Resources"][resource]["Type"]
        # Attributes that follow from what Ref gives (a name, a URL or an ARN).
        where = (
            f"{self.deployment.partition}:{{}}:{self.deployment.region}:{self.deployment.account}"
        )
        derived = {
            ("AWS::S3::Bucket", "Arn"): lambda ref: f"arn:{self.deployment.partition}:s3:::{ref}",
            ("AWS::Lambda::Function", "Arn"): lambda ref: (
                f"arn:{where.format('lambda')}:function:{ref}"
            ),
            (FUNCTION, "Arn"): lambda ref: f"arn:{where.format('lambda')}:function:{ref}",
            ("AWS::SQS::Queue", "Arn"): lambda ref: (
                f"arn:{where.format('sqs')}:{ref.rsplit('/', 1)[-1]}"
            ),
            ("AWS::SNS::Topic", "TopicArn"): lambda ref: ref,
            ("AWS::Logs::LogGroup", "Arn"): lambda ref: (
                f"arn:{where.format('logs')}:log-group:{ref}:*"
            ),
        }
        if (kind, attribute) in derived:
            return derived[(kind, attribute)](self._Ref(resource))
        raise KeyError(
            f"the deployment does not say what GetAtt {resource}.{attribute} gives: bind it in "
            "tests/iam/checks.py DEPLOYMENT, or give the function an environment variable of it"
        )

    def _fn_Sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {key: self.resolve(item) for key, item in variables.items()}

        def substitute(match: re.Match[str]) -> str:
            name = match[1]
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self._fn_GetAtt(name)
            return str(self._Ref(name))

        return re.sub(r"\$\{([^!}][^}]*)\}", substitute, text)

    def _fn_If(self, argument: list[Any]) -> Any:
        return self.resolve(argument[1] if self.condition(argument[0]) else argument[2])

    def _fn_Equals(self, argument: list[Any]) -> bool:
        return self.resolve(argument[0]) == self.resolve(argument[1])

    def _fn_Not(self, argument: list[Any]) -> bool:
        return not self.resolve(argument[0])

    def _fn_And(self, argument: list[Any]) -> bool:
        return all(self.resolve(item) for item in argument)

    def _fn_Or(self, argument: list[Any]) -> bool:
        return any(self.resolve(item) for item in argument)

    def _fn_Join(self, argument: list[Any]) -> str:
        return argument[0].join(map(str, self.resolve(argument[1])))

    def _fn_Split(self, argument: list[Any]) -> list[str]:
        return self.resolve(argument[1]).split(argument[0])

    def _fn_Select(self, argument: list[Any]) -> Any:
        return self.resolve(argument[1])[int(self.resolve(argument[0]))]


def role_policies(role: str, deployment: Deployment) -> list[dict[str, Any]]:
    """Every policy document attached to a role: its own, and AWS::IAM::Policy resources
    naming it. AWS managed policies (by name or ARN) are not read: their content is not in
    the template, and the functions' calls must not depend on them."""
    resolver = Resolver(deployment)
    resources = translated()["Resources"]
    documents = [
        entry["PolicyDocument"] for entry in resources[role]["Properties"].get("Policies", [])
    ]
    for name, resource in resources.items():
        attached = {"Ref": role} in resource.get("Properties", {}).get("Roles", [])
        if resource["Type"] == "AWS::IAM::Policy" and attached and resolver.exists(name):
            documents.append(resource["Properties"]["PolicyDocument"])
    resolved = [resolver.resolve(document) for document in documents]
    return [document for document in resolved if document is not NO_VALUE]


def function_role(function: str) -> str:
    role = translated()["Resources"][function]["Properties"]["Role"]
    return role["Fn::GetAtt"][0]


def resource_policy(resource: str, key: str, deployment: Deployment) -> dict[str, Any] | None:
    """A resource's own policy document (e.g. a VPC endpoint's), resolved; None if absent."""
    resolver = Resolver(deployment)
    if not resolver.exists(resource):
        return None
    document = translated()["Resources"][resource]["Properties"].get(key)
    return resolver.resolve(document) if document else None
