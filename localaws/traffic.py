"""The demo's traffic steps: requests to an inference component through the invoker over
simulated minutes, and single requests, with the endpoint's instances and the component's copies
printed as they change, so a user sees GPUs go away and come back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3

from localaws.clock import Clock
from localaws.template import Stack

MINUTE = 60.0


class StepFailed(Exception):
    """A step did not end as the example expects; the demo says why and exits 1."""


class Invoker(Protocol):
    def invoke_component(
        self, endpoint_name: str, component: str, http: bool = False
    ) -> dict[str, Any]: ...


@dataclass
class Hosting:
    """What the endpoint runs at one moment."""

    instances: int
    copies: int
    desired: int

    def __str__(self) -> str:
        return f"instances {self.instances}, copies {self.copies} (desired {self.desired})"


@dataclass
class TrafficPlayer:
    stack: Stack
    invoker: Invoker
    clock: Clock
    started: float
    shown: Hosting | None = field(default=None)

    def play(self, step: dict[str, Any]) -> None:
        print(f"{'':9}{step.get('Name', '')}")
        if "Traffic" in step:
            self._traffic(step["Traffic"])
        else:
            self._invoke(step["Invoke"])

    def _traffic(self, spec: dict[str, Any]) -> None:
        endpoint, component = self._target(spec["Component"])
        rate, answers = spec["RequestsPerMinute"], Counter[int]()
        for _ in range(spec["Minutes"]):
            for _ in range(rate):
                answers[self.invoker.invoke_component(endpoint, component)["statusCode"]] += 1
                self.clock.sleep(MINUTE / rate)
            if not rate:
                self.clock.sleep(MINUTE)
            self._show(endpoint, component)
        if answers:
            counted = ", ".join(f"{count} x {status}" for status, count in sorted(answers.items()))
            print(f"{'':9}{sum(answers.values())} requests answered: {counted}")

    def _invoke(self, spec: dict[str, Any]) -> None:
        endpoint, component = self._target(spec["Component"])
        answer = self.invoker.invoke_component(endpoint, component, http=True)
        headers = {key.lower(): value for key, value in (answer.get("headers") or {}).items()}
        retry = f" (Retry-After: {headers['retry-after']})" if "retry-after" in headers else ""
        print(f"{'':9}{self._elapsed()}  invoke {component} -> {answer['statusCode']}{retry}")
        if answer["statusCode"] != spec["ExpectStatus"]:
            raise StepFailed(
                f"expected {spec['ExpectStatus']} from {component}, got {answer['statusCode']}: "
                f"{answer.get('body')}"
            )
        self._show(endpoint, component)

    def _target(self, logical_id: str) -> tuple[str, str]:
        attributes = self.stack.attributes[logical_id]
        return attributes["EndpointName"], attributes["InferenceComponentName"]

    def _show(self, endpoint: str, component: str) -> None:
        """A line each time the instances or copies change."""
        now = hosting(endpoint, component)
        if now != self.shown:
            print(f"{'':9}{self._elapsed()}  {now}")
            self.shown = now

    def _elapsed(self) -> str:
        return f"t+{(self.clock.now() - self.started) / MINUTE:5.1f} min"


def hosting(endpoint: str, component: str) -> Hosting:
    sagemaker = boto3.client("sagemaker")
    variants = sagemaker.describe_endpoint(EndpointName=endpoint)["ProductionVariants"]
    runtime = sagemaker.describe_inference_component(InferenceComponentName=component)[
        "RuntimeConfig"
    ]
    return Hosting(
        instances=sum(variant.get("CurrentInstanceCount", 0) for variant in variants),
        copies=runtime.get("CurrentCopyCount", 0),
        desired=runtime.get("DesiredCopyCount", 0),
    )


def plays_traffic(template: dict[str, Any]) -> bool:
    steps = template.get("Metadata", {}).get("LocalDemo", {}).get("Steps", [])
    return any("Traffic" in step or "Invoke" in step for step in steps)
