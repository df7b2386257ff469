"""The provider's fault suite harness: its real handler, in-process, against moto + the SageMaker
simulator, with faults injected into every AWS call it makes and into the ResponseURL.

Time is simulated (tests/support/clocked_provider.py): one clock drives SageMaker's transitions
and everything the provider waits on, so a 15-minute invocation or a 2-minute deployment takes
milliseconds, and the jitter of the provider's polls is seeded, so every run takes the same
path. Faults are injected through botocore's event system on the
provider's own clients: a `before-call` handler raises what the call would end with after
botocore's retries.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from werkzeug.test import Client as WsgiClient

from localaws.clock import ClockedLambda, SimulatedClock
from localaws.cloudformation import CloudFormation, ResponseCollector
from localaws.sagemaker import SimulatorSettings
from localaws.server import LocalAws
from tests.support.clocked_provider import LAMBDA_TIMEOUT, ManualTimer
from tests.support.events import load_event

LOGICAL_ID = "ChurnEndpoint"
# SageMaker's transitions take a few of the provider's 5 s polls (minutes where a scenario needs
# them), on the simulated clock.
SIMULATED = SimulatorSettings(create_seconds=10, update_seconds=10, delete_seconds=5)


class InProcessTransport:
    """Hands botocore's requests straight to local AWS's WSGI application: the same moto and
    simulator, without a socket per call (half the time of a call, hundreds of cases)."""

    def __init__(self, application: Any):
        self._client = WsgiClient(application)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-send", self._send)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-send", self._send)

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        url = urlsplit(request.url)
        answer = self._client.open(
            url.path or "/",
            method=request.method,
            query_string=url.query,
            headers={
                key: value.decode() if isinstance(value, bytes) else value
                for key, value in request.headers.items()
            },
            data=request.body,
        )
        return AWSResponse(
            request.url, answer.status_code, dict(answer.headers), _Body(answer.data)
        )


class _Body:
    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


# --- faults ------------------------------------------------------------------------------------


def _client_error(code: str, message: str, status: int) -> Callable[[str], Exception]:
    def make(operation: str) -> Exception:
        return ClientError(
            {
                "Error": {"Code": code, "Message": message},
                "ResponseMetadata": {"HTTPStatusCode": status},
            },
            operation,
        )

    return make


# The faults SageMaker may get past by itself (throttling, a 5xx, AWS out of reach or timing
# out): the provider retries them until the deadline. The others fail the same way again.
TRANSIENT = ("5xx", "throttling", "connection", "connect-timeout", "read-timeout")

FAULTS: dict[str, Callable[[str], Exception]] = {
    "4xx": _client_error("ValidationException", "injected: request refused", 400),
    "5xx": _client_error("InternalFailure", "injected: internal error", 500),
    "throttling": _client_error("ThrottlingException", "Rate exceeded", 400),
    "access-denied": _client_error(
        "AccessDeniedException",
        "User: arn:aws:sts::123456789012:assumed-role/provider is not authorized",
        400,
    ),
    "connection": lambda _: EndpointConnectionError(endpoint_url="https://aws.local"),
    "connect-timeout": lambda _: ConnectTimeoutError(endpoint_url="https://aws.local"),
    "read-timeout": lambda _: ReadTimeoutError(endpoint_url="https://aws.local"),
    "bug": lambda operation: TypeError(f"injected bug at {operation}"),
}


class Faults:
    """Records the provider's AWS calls and makes chosen ones fail."""

    def __init__(self, clients: list[Any]):
        self.calls: list[str] = []
        self._clients = clients
        self._armed: tuple[str, int, str, int | None] | None = None
        self._seen = 0
        self.fired = 0
        self.hooks: dict[str, Callable[[], None]] = {}
        for client in clients:
            client.meta.events.register("before-call", self._before_call)

    def close(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call", self._before_call)

    def arm(self, call: str, nth: int, fault: str, times: int | None = None) -> None:
        """From the nth `service.Operation` call on, `times` of them fail with `fault` and the
        rest go through (None: every one fails)."""
        self._armed, self._seen, self.fired = (call, nth, fault, times), 0, 0

    def disarm(self) -> None:
        self._armed = None
        self.hooks.clear()

    def route_invokes_to(self, lambda_: ClockedLambda) -> None:
        self._lambda = lambda_

    def _before_call(self, event_name: str, params: dict[str, Any], **_: Any) -> Any:
        _, service, operation = event_name.split(".")
        call = f"{service}.{operation}"
        self.calls.append(call)
        if call in self.hooks:
            self.hooks.pop(call)()
        if self._armed and self._armed[0] == call:
            self._seen += 1
            _, nth, fault, times = self._armed
            if self._seen >= nth and (times is None or self.fired < times):
                self.fired += 1
                raise FAULTS[fault](operation)
        if call == "lambda.Invoke":
            # `params` is the serialised request: the payload is its body.
            self._lambda.queued.append(json.loads(params["body"]))
            return AWSResponse("https://lambda.local", 202, {}, None), {"StatusCode": 202}
        return None


@dataclass
class FaultWorld:
    """One fresh account, the provider wired to the simulated clock, and CloudFormation."""

    app: Any
    aws: LocalAws
    collector: ResponseCollector
    clock: SimulatedClock
    faults: Faults
    lambda_: ClockedLambda
    cloudformation: CloudFormation
    # What a rolled-back request must leave the account holding.
    baseline: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The test's own view of the account, outside the faults.
        self.sagemaker = boto3.client("sagemaker")
        self.autoscaling = boto3.client("application-autoscaling")
        self.cloudwatch = boto3.client("cloudwatch")
        self.transport = InProcessTransport(self.aws.simulator)
        self._attached = [
            self.sagemaker,
            self.autoscaling,
            self.cloudwatch,
            self.app.clients.sagemaker,
            self.app.clients.application_autoscaling,
            self.app.clients.cloudwatch,
        ]
        for client in self._attached:
            self.transport.attach(client)

    def close(self) -> None:
        for client in self._attached:
            self.transport.detach(client)

    def inventory(self) -> dict[str, list[str]]:
        sagemaker, autoscaling = self.sagemaker, self.autoscaling
        targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")[
            "ScalableTargets"
        ]
        return {
            "endpoints": [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]],
            "configs": [
                c["EndpointConfigName"]
                for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
            ],
            "models": [m["ModelName"] for m in sagemaker.list_models()["Models"]],
            "scalable targets": [t["ResourceId"] for t in targets],
            # Scaling an update suspended and did not resume.
            "suspended scalable targets": [
                t["ResourceId"] for t in targets if any(t.get("SuspendedState", {}).values())
            ],
            "alarms": [a["AlarmName"] for a in self.cloudwatch.describe_alarms()["MetricAlarms"]],
            "inference components": [
                c["InferenceComponentName"]
                for c in sagemaker.list_inference_components()["InferenceComponents"]
            ],
        }

    def reset(self) -> None:
        self.faults.disarm()
        self.collector.clear_faults()
        self.aws.reset()
        self.aws.simulator.settings = replace(SIMULATED, clock=self.clock.now)
        self.lambda_.queued.clear()
        self.lambda_.timeout_seconds = LAMBDA_TIMEOUT
        ManualTimer.armed.clear()
        # The provider's poll jitter draws from the module's generator.
        random.seed(0)


def base_properties(event: str = "create.json") -> dict[str, Any]:
    props = copy.deepcopy(load_event(event)["ResourceProperties"])
    del props["ServiceToken"]
    return props


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Figures:
    scenarios: int = 0
    survived: int = 0
    resources_left: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, name: str, problems: list[str], left: int) -> None:
        self.scenarios += 1
        self.resources_left += left
        if problems:
            self.failures.append(f"{name}: {'; '.join(problems)}")
        else:
            self.survived += 1


FIGURES = Figures()
