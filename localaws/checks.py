"""What the demo checks before it deploys: cfn-lint's rules, then its own `Metadata.LocalDemo`.

Each mistake becomes one line that says where it is (file and line, resource, property) and
what is wrong, as CloudFormation would refuse it, instead of a Python error halfway through.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.api import ManualArgs, lint

from localaws.template import did_you_mean

EXPECTATIONS = ("in-place", "replacement", "rolled-back")
# A step is a stack update (Expect), traffic to a component over simulated minutes (Traffic), or
# one request to it (Invoke).
STEP_KINDS = ("Expect", "Traffic", "Invoke")
STEP_KEYS = ("Name", "Parameters", "Expect", "SetAlarmState", "Traffic", "Invoke")
TRAFFIC_KEYS = {"Component": str, "RequestsPerMinute": int, "Minutes": int}
INVOKE_KEYS = {"Component": str, "ExpectStatus": int}
COMPONENT_TYPE = "Custom::SageMakerInferenceComponent"
ALARM_STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
# cfn-lint lists every allowed value ("'InstanceTyp' is not one of ['ProviderStackName', ...]"),
# which for a Ref is every parameter, resource and pseudo parameter: a suggestion reads better.
_NOT_ONE_OF = re.compile(r"^'(?P<value>[^']*)' is not one of \[(?P<allowed>.*)\]$")


@dataclass(frozen=True)
class Mistake:
    file: str
    line: int | None
    where: str
    what: str
    fatal: bool = True

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        return f"{self.file}{line}: {self.where}: {self.what}"


def check_template(path: str | Path, template: dict[str, Any], region: str) -> list[Mistake]:
    """cfn-lint's errors and warnings, then the demo's own steps; errors first."""
    mistakes = [*_lint(Path(path), region), *_local_demo(str(path), template)]
    return sorted(mistakes, key=lambda mistake: not mistake.fatal)


def _lint(path: Path, region: str) -> Iterator[Mistake]:
    for match in lint(path.read_text(), config=ManualArgs(regions=[region])):
        rule = match.rule.id
        if rule.startswith("I"):
            continue
        location = list(getattr(match, "path", None) or [])
        # A mistake inside !Ref or !GetAtt is the property's: name the property.
        function = location.pop() if location and _is_function(location[-1]) else None
        yield Mistake(
            str(path),
            match.linenumber,
            _where(location),
            f"{_message(match.message, function)} [cfn-lint {rule}]",
            fatal=rule.startswith("E"),
        )


def _where(path: list[Any]) -> str:
    """["Resources", "X", "Properties", "Variants", 0, "Type"] as "X Variants[0].Type"."""
    if len(path) >= 2 and path[0] == "Resources":
        resource, rest = path[1], path[3:] if path[2:3] == ["Properties"] else path[2:]
        return f"{resource} {_dotted(rest)}".rstrip()
    return _dotted(path) or "template"


def _dotted(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _is_function(part: Any) -> bool:
    return isinstance(part, str) and (part == "Ref" or part.startswith("Fn::"))


def _message(message: str, function: str | None) -> str:
    found = _NOT_ONE_OF.match(message)
    if not found:
        return message
    allowed = re.findall(r"'([^']*)'", found["allowed"])
    value = found["value"]
    if function == "Ref":
        return f"!Ref {value} names no parameter or resource{did_you_mean(value, allowed)}"
    what = f"in {function} " if function else ""
    return f"{value!r} {what}is not allowed here{did_you_mean(value, allowed)}"


def _local_demo(file: str, template: dict[str, Any]) -> Iterator[Mistake]:
    demo = (template.get("Metadata") or {}).get("LocalDemo")
    if demo is None:
        return
    steps = demo.get("Steps", []) if isinstance(demo, dict) else None
    if not isinstance(steps, list):
        yield Mistake(file, _line(demo), "Metadata.LocalDemo", "needs Steps, a list of updates")
        return
    parameters = list(template.get("Parameters") or {})
    resources = template.get("Resources") or {}
    alarms = [name for name, spec in resources.items() if _type(spec) == "AWS::CloudWatch::Alarm"]
    for index, step in enumerate(steps):
        where = f"Metadata.LocalDemo.Steps[{index}]"
        if not isinstance(step, dict):
            yield Mistake(file, _line(steps), where, "must be a map with Name, Parameters, Expect")
            continue
        for key in step:
            if key not in STEP_KEYS:
                hint = did_you_mean(key, list(STEP_KEYS))
                yield Mistake(file, _line(key), f"{where}.{key}", f"unknown key{hint}")
        for name in step.get("Parameters") or {}:
            if name not in parameters:
                yield Mistake(
                    file,
                    _line(name),
                    f"{where}.Parameters.{name}",
                    f"the template has no parameter {name}{did_you_mean(name, parameters)}",
                )
        kinds = [kind for kind in STEP_KINDS if kind in step]
        if len(kinds) != 1:
            yield Mistake(file, _line(step), where, f"needs exactly one of {', '.join(STEP_KINDS)}")
            continue
        if kinds == ["Traffic"] or kinds == ["Invoke"]:
            yield from _runtime_step(file, where, kinds[0], step[kinds[0]], resources)
            continue
        expect = step.get("Expect")
        if expect not in EXPECTATIONS:
            yield Mistake(
                file,
                _line(expect) or _line(step),
                f"{where}.Expect",
                f"must be one of {', '.join(EXPECTATIONS)}, got {expect!r}",
            )
        for alarm, state in (step.get("SetAlarmState") or {}).items():
            if alarm not in alarms:
                yield Mistake(
                    file,
                    _line(alarm),
                    f"{where}.SetAlarmState.{alarm}",
                    f"not an AWS::CloudWatch::Alarm of the template{did_you_mean(alarm, alarms)}",
                )
            if state not in ALARM_STATES:
                yield Mistake(
                    file,
                    _line(state),
                    f"{where}.SetAlarmState.{alarm}",
                    f"must be one of {', '.join(ALARM_STATES)}, got {state!r}",
                )


def _runtime_step(
    file: str, where: str, kind: str, spec: Any, resources: dict[str, Any]
) -> Iterator[Mistake]:
    """Traffic or one request, to an inference component of the template."""
    where = f"{where}.{kind}"
    keys = TRAFFIC_KEYS if kind == "Traffic" else INVOKE_KEYS
    if not isinstance(spec, dict):
        yield Mistake(file, _line(spec), where, f"must be a map with {', '.join(keys)}")
        return
    for key, kind_of in keys.items():
        if not isinstance(spec.get(key), kind_of):
            yield Mistake(file, _line(spec), f"{where}.{key}", f"needs a {kind_of.__name__}")
    components = [name for name, item in resources.items() if _type(item) == COMPONENT_TYPE]
    component = spec.get("Component")
    if isinstance(component, str) and component not in components:
        yield Mistake(
            file,
            _line(component),
            f"{where}.Component",
            f"not a {COMPONENT_TYPE} of the template{did_you_mean(component, components)}",
        )


def _type(spec: Any) -> Any:
    return spec.get("Type") if isinstance(spec, dict) else None


def _line(node: Any) -> int | None:
    """The template line cfn-lint's decoder kept on the node, if any."""
    mark = getattr(node, "start_mark", None)
    return mark.line + 1 if mark is not None else None
