"""`make demo`: deploys an example consumer stack against the embedded local AWS.

Checks the template first (cfn-lint, then the demo's own `Metadata.LocalDemo`), and stops with
one line per mistake if it has any. Then starts moto with the SageMaker simulator, runs the
provider's real handler as Lambda would (short invocations, so long waits visibly continue in
fresh ones), and plays CloudFormation: Create (rolled back, as CloudFormation does, when it
fails), the template's `Metadata.LocalDemo.Steps` as Updates (with the cleanup Delete after a
replacement, or the rollback Update after a failure), and a final Delete. Prints stack events
in CloudFormation's order with timings, and the provider's log lines when a request fails (all
of them with --verbose); exits 1 when a step does not end as expected.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from localaws.checks import check_template
from localaws.clock import Clock, ClockedLambda, SimulatedClock, WallClock
from localaws.cloudformation import (
    CloudFormation,
    Response,
    ResponseCollector,
)
from localaws.functions import (
    ACCOUNT_ID,
    DEFAULT_ROLE_ARN,
    REGION,
    LambdaContext,
    load_function,
    provider_environment,
)
from localaws.sagemaker import SimulatorSettings
from localaws.server import LocalAws
from localaws.template import Stack, TemplateError, load_template
from localaws.traffic import StepFailed, TrafficPlayer, plays_traffic

ENDPOINT_TYPE = "Custom::SageMakerEndpoint"
COMPONENT_TYPE = "Custom::SageMakerInferenceComponent"
CUSTOM_TYPES = (ENDPOINT_TYPE, COMPONENT_TYPE)
PROVIDER_STACK = "sagemaker-endpoint-provider"
# The provider stack's bucket for async payloads, as its export names it.
PAYLOAD_BUCKET = f"{PROVIDER_STACK}-async-payloads"
EVENTS = Path(__file__).resolve().parent.parent / "events"
# Keys every provider log line carries; the rest say what happened.
_ROUTINE_LOG_KEYS = frozenset(
    {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "xray_trace_id",
        "sampling_rate",
        "StackId",
        "LogicalResourceId",
        "RequestId",
        "RequestType",
        "exception",
        "exception_name",
        "stack_trace",
    }
)


class ProviderLog(io.StringIO):
    """Where the provider's log lines (Powertools' JSON, one per line) go instead of stdout."""

    def take(self) -> list[str]:
        """The lines logged since the last call, each as one readable line."""
        lines = self.getvalue().splitlines()
        self.seek(0)
        self.truncate()
        return [_readable(line) for line in lines if line.strip()]


def _readable(line: str) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return line
    if not isinstance(record, dict):
        return line
    extra = " ".join(
        f"{key}={value}" for key, value in record.items() if key not in _ROUTINE_LOG_KEYS
    )
    error = record.get("exception_name")
    error = f" [{error}]" if error else ""
    return f"{record.get('level', ''):<7} {record.get('message', '')}{error} {extra}".rstrip()


@dataclass
class EventPrinter:
    stack_name: str
    clock: Clock
    started: float

    def __call__(self, logical_id: str, status: str, detail: str = "") -> None:
        elapsed = self.clock.now() - self.started
        line = f"{elapsed:7.1f}s  {self.stack_name:<12} {logical_id:<16} {status:<44} {detail}"
        print(line.rstrip(), flush=True)


class NativeResources:
    """The few native resource types the examples put beside their endpoints, created in
    moto as CloudFormation would (Ref gives what the real resource's Ref gives)."""

    def __init__(self, stack: Stack):
        self.stack = stack

    def create(self, logical_id: str, spec: dict[str, Any]) -> str:
        properties = self.stack.resolve(
            spec.get("Properties", {}), f"Resources.{logical_id}.Properties"
        )
        generated = f"{self.stack.name}-{logical_id}".lower()
        kind = spec["Type"]
        if kind == "AWS::S3::Bucket":
            name = properties.get("BucketName", generated)
            boto3.client("s3").create_bucket(Bucket=name)
            return name
        if kind == "AWS::SNS::Topic":
            topic = properties.get("TopicName", generated)
            return boto3.client("sns").create_topic(Name=topic)["TopicArn"]
        if kind == "AWS::CloudWatch::Alarm":
            properties.setdefault("AlarmName", generated)
            boto3.client("cloudwatch").put_metric_alarm(**properties)
            return properties["AlarmName"]
        raise StepFailed(f"{logical_id}: the demo cannot create {kind}")

    def delete(self, spec: dict[str, Any], physical_id: str) -> None:
        kind = spec["Type"]
        if kind == "AWS::S3::Bucket" and spec.get("DeletionPolicy") != "Retain":
            boto3.client("s3").delete_bucket(Bucket=physical_id)
        elif kind == "AWS::SNS::Topic":
            boto3.client("sns").delete_topic(TopicArn=physical_id)
        elif kind == "AWS::CloudWatch::Alarm":
            boto3.client("cloudwatch").delete_alarms(AlarmNames=[physical_id])


class StackPlayer:
    """Turns template changes into the requests CloudFormation would send, in its order."""

    def __init__(
        self,
        stack: Stack,
        cloudformation: CloudFormation,
        printer: EventPrinter,
        invoker: InvokerDemo,
        log: ProviderLog,
        verbose: bool,
    ):
        self.stack = stack
        self.cloudformation = cloudformation
        self.print = printer
        self.invoker = invoker
        self.log = log
        self.verbose = verbose
        self.natives = NativeResources(stack)
        self.properties: dict[str, dict[str, Any]] = {}

    def resources(self) -> list[str]:
        """The provider's resources the template holds now (their Condition true), in the
        template's order, which the examples keep in dependency order."""
        return [
            name
            for name, spec in self._specs().items()
            if spec["Type"] in CUSTOM_TYPES and self._wanted(spec)
        ]

    def native_resources(self) -> list[str]:
        return [
            name
            for name, spec in self._specs().items()
            if spec["Type"] not in CUSTOM_TYPES and self._wanted(spec)
        ]

    def _wanted(self, spec: dict[str, Any]) -> bool:
        return "Condition" not in spec or self.stack.condition(spec["Condition"])

    def desired_properties(self, logical_id: str) -> dict[str, Any]:
        where = f"Resources.{logical_id}.Properties"
        properties = self.stack.resolve(self._specs()[logical_id]["Properties"], where)
        properties.pop("ServiceToken")
        return properties

    # Create

    def create(self) -> None:
        self.print("-", "CREATE_IN_PROGRESS", "User Initiated")
        created: list[str] = []
        try:
            for logical_id in self.native_resources():
                self._create_native(logical_id)
                created.append(logical_id)
            for logical_id in self.resources():
                created.append(logical_id)
                self._create_custom(logical_id)
            outputs = self.outputs()
        except _ResourceFailed as failure:
            self._roll_back_create(
                created, f"The following resource(s) failed to create: [{failure.logical_id}]."
            )
            raise StepFailed(f"{failure.logical_id} CREATE_FAILED: {failure.reason}") from None
        except TemplateError as error:
            self._roll_back_create(created, str(error))
            raise StepFailed(str(error)) from None
        self.print("-", "CREATE_COMPLETE", "stack")
        self.describe(outputs)
        for logical_id in self.resources():
            self._invoke(logical_id)

    def _invoke(self, logical_id: str) -> None:
        """Calls what serves requests: a component by its name, an endpoint with a model of
        its own; an endpoint that hosts components answers only through them."""
        attributes = self.stack.attributes[logical_id]
        if self._type(logical_id) == COMPONENT_TYPE:
            self.invoker.call(
                attributes["EndpointName"], False, attributes["InferenceComponentName"]
            )
        elif "ModelName" in attributes:
            asynchronous = "AsyncInferenceConfig" in self.properties[logical_id]
            self.invoker.call(attributes["EndpointName"], asynchronous)

    def _create_native(self, logical_id: str) -> None:
        self.print(logical_id, "CREATE_IN_PROGRESS")
        try:
            physical_id = self.natives.create(logical_id, self._specs()[logical_id])
        except (ClientError, BotoCoreError, TemplateError) as error:
            self.print(logical_id, "CREATE_FAILED", str(error))
            raise _ResourceFailed(logical_id, str(error)) from None
        self.stack.physical_ids[logical_id] = physical_id
        self.print(logical_id, "CREATE_COMPLETE", physical_id)

    def _create_custom(self, logical_id: str) -> None:
        self.print(logical_id, "CREATE_IN_PROGRESS")
        try:
            properties = self.desired_properties(logical_id)
        except TemplateError as error:
            self.print(logical_id, "CREATE_FAILED", str(error))
            raise _ResourceFailed(logical_id, str(error)) from None
        response = self._send(
            self.cloudformation.create,
            logical_id,
            properties,
            resource_type=self._type(logical_id),
        )
        # Whatever the answer, its physical ID is what the rollback Delete will carry.
        self._record(logical_id, properties, response)
        self._expect_success(logical_id, "CREATE", response)

    def _roll_back_create(self, created: list[str], reason: str) -> None:
        """CloudFormation deletes what it created, the failed resource included, newest first."""
        self.print("-", "ROLLBACK_IN_PROGRESS", reason)
        failed = []
        for logical_id in reversed(created):
            if logical_id not in self.stack.physical_ids:
                continue
            try:
                self._delete(logical_id)
            except _ResourceFailed:
                failed.append(logical_id)
        if failed:
            self.print("-", "ROLLBACK_FAILED", f"could not delete [{', '.join(failed)}]")
        else:
            self.print("-", "ROLLBACK_COMPLETE", "stack")
        report_leftovers()

    # Update

    def update(self, step: dict[str, Any]) -> None:
        previous = self.stack.parameters
        parameters = step.get("Parameters") or {}
        self.stack.parameters = {key: str(value) for key, value in parameters.items()}
        self.print("-", "UPDATE_IN_PROGRESS", f"User Initiated: {step.get('Name', '')}")
        existing = set(self.stack.physical_ids)
        added = [name for name in self.resources() if name not in existing]
        for logical_id in added:
            self._create_custom(logical_id)
        removed = [name for name in self.properties if name not in self.resources()]
        changes = self._changes()
        alarms = step.get("SetAlarmState", {})
        updated: list[tuple[str, str, dict[str, Any], dict[str, Any], Response]] = []
        for logical_id, old, new in changes:
            old_id = self.stack.physical_ids[logical_id]
            self.print(logical_id, "UPDATE_IN_PROGRESS")
            # The alarm fires while the update deploys, as a canary's errors would make it.
            self._set_alarms(alarms)
            alarms = {}
            response = self._send(
                self.cloudformation.update,
                logical_id,
                old_id,
                new,
                old,
                resource_type=self._type(logical_id),
            )
            if response.status != "SUCCESS":
                self.print(logical_id, "UPDATE_FAILED", self._failure(response))
                self._roll_back_update(logical_id, old_id, old, new, updated)
                self.stack.parameters = previous
                self._set_alarms({name: "OK" for name in step.get("SetAlarmState", {})})
                if step["Expect"] != "rolled-back":
                    raise StepFailed(f"{logical_id} UPDATE_FAILED: {response.reason}")
                self.describe(self.outputs())
                return
            updated.append((logical_id, old_id, old, new, response))
            self._record(logical_id, new, response)
            timing = _timing(response)
            self.print(logical_id, "UPDATE_COMPLETE", f"{response.physical_id} ({timing})")
        if step["Expect"] == "rolled-back":
            raise StepFailed("expected the update to roll back, it succeeded")
        self.print("-", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "stack")
        for logical_id, old_id, old, _, response in updated:
            _expect_shape(step["Expect"], old_id, response.physical_id)
            if response.physical_id != old_id:
                self._delete(logical_id, old_id, old, f"replaced {old_id}")
        for logical_id in reversed(removed):
            self._delete(logical_id, detail="removed from the template")
            self._forget(logical_id)
        self.print("-", "UPDATE_COMPLETE", "stack")
        self.describe(self.outputs())

    def _roll_back_update(
        self,
        logical_id: str,
        physical_id: str,
        old: dict[str, Any],
        new: dict[str, Any],
        updated: list[tuple[str, str, dict[str, Any], dict[str, Any], Response]],
    ) -> None:
        """CloudFormation sends the failed update back with its properties swapped, then
        undoes the updates that had succeeded; replacements made are deleted in cleanup."""
        self.print(
            "-",
            "UPDATE_ROLLBACK_IN_PROGRESS",
            f"The following resource(s) failed to update: [{logical_id}].",
        )
        replacements = []
        undo = [(logical_id, physical_id, old, new)]
        undo += [(done[0], done[1], done[2], done[3]) for done in reversed(updated)]
        for rolled_id, rolled_physical, rolled_old, rolled_new in undo:
            current = self.stack.physical_ids[rolled_id]
            if current != rolled_physical:
                replacements.append((rolled_id, current, rolled_new))
                self.stack.physical_ids[rolled_id] = rolled_physical
                self.properties[rolled_id] = rolled_old
                continue
            self.print(rolled_id, "UPDATE_IN_PROGRESS", "rollback")
            rollback = self._send(
                self.cloudformation.update,
                rolled_id,
                rolled_physical,
                rolled_old,
                rolled_new,
                resource_type=self._type(rolled_id),
            )
            self._record(rolled_id, rolled_old, rollback)
            self._expect_success(rolled_id, "UPDATE", rollback)
        self.print("-", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "stack")
        for rolled_id, new_id, new in replacements:
            self._delete(rolled_id, new_id, new, f"replacement {new_id}")
        self.print("-", "UPDATE_ROLLBACK_COMPLETE", "stack")

    # Delete

    def delete(self) -> None:
        self.print("-", "DELETE_IN_PROGRESS", "User Initiated")
        for logical_id in reversed(list(self._specs())):
            if logical_id in self.stack.physical_ids:
                self._delete(logical_id)
        self.print("-", "DELETE_COMPLETE", "stack")

    def _delete(
        self,
        logical_id: str,
        physical_id: str | None = None,
        properties: dict[str, Any] | None = None,
        detail: str = "",
    ) -> None:
        spec = self._specs()[logical_id]
        physical_id = physical_id or self.stack.physical_ids[logical_id]
        self.print(logical_id, "DELETE_IN_PROGRESS", detail)
        if spec["Type"] not in CUSTOM_TYPES:
            self.natives.delete(spec, physical_id)
            self.print(logical_id, "DELETE_COMPLETE")
            return
        properties = properties if properties is not None else self.properties[logical_id]
        response = self._send(
            self.cloudformation.delete,
            logical_id,
            physical_id,
            properties,
            resource_type=spec["Type"],
        )
        self._expect_success(logical_id, "DELETE", response)

    def _forget(self, logical_id: str) -> None:
        for held in (self.properties, self.stack.physical_ids, self.stack.attributes):
            held.pop(logical_id, None)

    def _type(self, logical_id: str) -> str:
        return str(self._specs()[logical_id]["Type"])

    # What the stack says

    def outputs(self) -> dict[str, Any]:
        return {
            name: self.stack.resolve(output.get("Value"), f"Outputs.{name}.Value")
            for name, output in self.stack.template.get("Outputs", {}).items()
            if self._wanted(output)
        }

    def describe(self, outputs: dict[str, Any]) -> None:
        """What the stack's outputs say, and what SageMaker and the autoscaler now hold."""
        for name, value in outputs.items():
            print(f"{'':9}output {name} = {value}")
        for logical_id in self.resources():
            if self._type(logical_id) == ENDPOINT_TYPE:
                endpoint_name = self.stack.attributes[logical_id]["EndpointName"]
                print(f"{'':9}{endpoint_summary(endpoint_name)}")

    def _changes(self) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
        changes = []
        for logical_id in self.resources():
            old, new = self.properties[logical_id], self.desired_properties(logical_id)
            if new != old:
                changes.append((logical_id, old, new))
        return changes

    def _set_alarms(self, states: dict[str, str]) -> None:
        cloudwatch = boto3.client("cloudwatch")
        for logical_id, state in states.items():
            alarm = self.stack.physical_ids[logical_id]
            cloudwatch.set_alarm_state(AlarmName=alarm, StateValue=state, StateReason="demo")
            self.print(logical_id, f"alarm {state}", alarm)

    def _specs(self) -> dict[str, Any]:
        return self.stack.template["Resources"]

    def _send(
        self, request: Callable[..., Response], *arguments: Any, resource_type: str
    ) -> Response:
        """One request to the provider; its log lines shown when it failed, or always when
        verbose."""
        self.log.take()
        started = self.print.clock.now()
        response = request(*arguments, resource_type=resource_type)
        response.seconds = self.print.clock.now() - started
        lines = self.log.take()
        if self.verbose or response.status != "SUCCESS":
            for line in lines:
                print(f"{'':9}| {line}")
        return response

    def _record(self, logical_id: str, properties: dict[str, Any], response: Response) -> None:
        self.properties[logical_id] = properties
        self.stack.physical_ids[logical_id] = response.physical_id
        self.stack.attributes[logical_id] = response.data

    def _failure(self, response: Response) -> str:
        return f"{response.reason} ({_timing(response)})"

    def _expect_success(self, logical_id: str, action: str, response: Response) -> None:
        if response.status != "SUCCESS":
            self.print(logical_id, f"{action}_FAILED", self._failure(response))
            raise _ResourceFailed(logical_id, response.reason)
        if response.size >= 4096:
            raise StepFailed(f"{logical_id} {action}: response of {response.size} bytes")
        detail = f"{response.physical_id} ({_timing(response)})"
        self.print(logical_id, f"{action}_COMPLETE", detail)


class _ResourceFailed(StepFailed):
    def __init__(self, logical_id: str, reason: str):
        super().__init__(f"{logical_id}: {reason}")
        self.logical_id = logical_id
        self.reason = reason


def _timing(response: Response) -> str:
    return f"{response.seconds:.1f}s, {response.invocations} invocation(s)"


class InvokerDemo:
    """Calls each new endpoint through the invoker Lambda, as a Function URL caller would."""

    def __init__(self, invoker: ModuleType, clock: Clock):
        self.invoker = invoker
        self.clock = clock

    def call(self, endpoint_name: str, asynchronous: bool, component: str | None = None) -> None:
        os.environ["SAGEMAKER_ENDPOINT_NAME"] = endpoint_name
        self.invoker.invoker.cache_clear()
        if asynchronous:
            self._async()
        else:
            self._realtime(component)

    def _realtime(self, component: str | None) -> None:
        event = json.loads((EVENTS / "invoke-function-url.json").read_text())
        if component:
            event["headers"]["x-amzn-sagemaker-inference-component"] = component
        answer = self._invoke(event)
        self._show(f"invoke {component or ''} (Function URL)".replace("  ", " "), answer)
        if answer["statusCode"] != 200:
            raise StepFailed(f"the invoker answered {answer['statusCode']}: {answer['body']}")
        direct_event: dict[str, Any] = {"body": "0.3,12,1,0", "contentType": "text/csv"}
        if component:
            direct_event["inferenceComponentName"] = component
        direct = self._invoke(direct_event)
        self._show("invoke (direct)", {**direct, "body": direct.get("body")})

    def _async(self) -> None:
        event = json.loads((EVENTS / "invoke-async-function-url.json").read_text())
        accepted = self._invoke(event)
        self._show("invoke async (Function URL)", accepted)
        if accepted["statusCode"] != 202:
            raise StepFailed(f"the invoker answered {accepted['statusCode']}: {accepted['body']}")
        receipt = json.loads(accepted["body"])
        fetch = json.loads((EVENTS / "invoke-function-url.json").read_text())
        fetch["requestContext"]["http"]["method"] = "GET"
        fetch["queryStringParameters"] = {
            "location": receipt["OutputLocation"],
            "failureLocation": receipt["FailureLocation"],
        }
        result = self._invoke(fetch)
        for _ in range(100):
            if result["statusCode"] != 202:
                break
            self.clock.sleep(0.1)
            result = self._invoke(fetch)
        self._show("fetch result (GET ?location=...)", result)
        if result["statusCode"] != 200:
            raise StepFailed(f"the async result did not arrive: {result}")

    def invoke_component(
        self, endpoint_name: str, component: str, http: bool = False
    ) -> dict[str, Any]:
        """One request to a component: a direct invocation, or a Function URL's (whose
        answer carries its headers)."""
        if os.environ.get("SAGEMAKER_ENDPOINT_NAME") != endpoint_name:
            os.environ["SAGEMAKER_ENDPOINT_NAME"] = endpoint_name
            self.invoker.invoker.cache_clear()
        if not http:
            return self._invoke({"body": {"inputs": "Hello"}, "inferenceComponentName": component})
        event = json.loads((EVENTS / "invoke-function-url.json").read_text())
        event["headers"]["x-amzn-sagemaker-inference-component"] = component
        return self._invoke(event)

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        context = LambdaContext("invoker", f"{PROVIDER_STACK}-InvokerFunction", 60)
        # The invoker writes its metrics to stdout (CloudWatch's EMF); here they would
        # drown the stack events.
        with contextlib.redirect_stdout(io.StringIO()):
            return self.invoker.handler(event, context)

    def _show(self, what: str, answer: dict[str, Any]) -> None:
        """The whole answer: a receipt's S3 locations are what the caller fetches with."""
        body = answer.get("body")
        text = body if isinstance(body, str) else json.dumps(body)
        print(f"{'':9}{what} -> {answer['statusCode']} {text}")


def endpoint_summary(endpoint_name: str) -> str:
    sagemaker = boto3.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    targets = boto3.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    scaling = [
        f"{t['ResourceId'].rsplit('/', 1)[1]} {t['MinCapacity']}-{t['MaxCapacity']} instances"
        for t in targets
        if t["ResourceId"].startswith(f"endpoint/{endpoint_name}/")
    ]
    summary = f"{endpoint_name}: {endpoint['EndpointStatus']} on {endpoint['EndpointConfigName']}"
    hosted = hosted_components(sagemaker, endpoint_name)
    if hosted is not None:
        instances = sum(v.get("CurrentInstanceCount", 0) for v in endpoint["ProductionVariants"])
        summary += f"; {instances} instance(s); components: {hosted or 'none'}"
    return summary + (f"; autoscaling {', '.join(scaling)}" if scaling else "")


def hosted_components(sagemaker: Any, endpoint_name: str) -> str | None:
    """ "name copies/desired, ..." for an endpoint that hosts components; None for one that
    serves models."""
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=sagemaker.describe_endpoint(EndpointName=endpoint_name)[
            "EndpointConfigName"
        ]
    )
    if any("ModelName" in variant for variant in config["ProductionVariants"]):
        return None
    listed = sagemaker.list_inference_components(EndpointNameEquals=endpoint_name)
    shown = []
    for item in listed["InferenceComponents"]:
        runtime = sagemaker.describe_inference_component(
            InferenceComponentName=item["InferenceComponentName"]
        ).get("RuntimeConfig", {})
        copies = f"{runtime.get('CurrentCopyCount', 0)}/{runtime.get('DesiredCopyCount', 0)}"
        shown.append(f"{item['InferenceComponentName']} {copies} copies")
    return ", ".join(shown)


def _expect_shape(expect: str, old_id: str, new_id: str) -> None:
    replaced = new_id != old_id
    if replaced != (expect == "replacement"):
        raise StepFailed(f"expected {expect}, but the physical ID went {old_id} -> {new_id}")


def prepare_account() -> None:
    """What a real account would hold before the consumer stack: the provider's execution
    role and the bucket with the model artifacts."""
    iam = boto3.client("iam")
    iam.create_role(
        RoleName=DEFAULT_ROLE_ARN.rsplit("/", 1)[1],
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    )
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=PAYLOAD_BUCKET)
    s3.create_bucket(Bucket="sagemaker-demo-models")
    for version in ("v1", "v2", "v3"):
        s3.put_object(
            Bucket="sagemaker-demo-models", Key=f"churn/{version}/model.tar.gz", Body=b"model"
        )


def leftovers() -> dict[str, list[str]]:
    sagemaker = boto3.client("sagemaker")
    targets = boto3.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    found = {
        "scalable targets": [target["ResourceId"] for target in targets],
        "endpoints": [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]],
        "endpoint configs": [
            c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
        ],
        "models": [m["ModelName"] for m in sagemaker.list_models()["Models"]],
        "inference components": [
            c["InferenceComponentName"]
            for c in sagemaker.list_inference_components()["InferenceComponents"]
        ],
    }
    return {kind: names for kind, names in found.items() if names}


def report_leftovers() -> None:
    left = leftovers()
    if left:
        raise StepFailed(f"the stack is deleted but SageMaker still holds {left}")
    print(f"{'':9}nothing left in SageMaker")


def _provider_on_clock(provider: ModuleType, clock: Clock) -> None:
    """The provider's provisioners as app.py wires them, waiting on the demo's clock."""
    provisioners = provider.build_provisioners(clock=clock.now, sleep=clock.sleep)
    provider.provisioners = lambda: provisioners


def play(template: dict[str, Any], args: argparse.Namespace) -> None:
    simulated = args.simulated_time or plays_traffic(template)
    if simulated and not args.simulated_time:
        print("traffic steps: the whole example plays on the simulated clock")
    clock: Clock = SimulatedClock(time.time()) if simulated else WallClock()
    settings = SimulatorSettings(
        create_seconds=args.create_seconds,
        update_seconds=args.update_seconds,
        delete_seconds=args.delete_seconds,
        component_create_seconds=args.create_seconds,
        component_update_seconds=args.update_seconds,
        component_delete_seconds=args.delete_seconds,
        clock=clock.now,
    )
    with LocalAws(settings=settings) as aws, ResponseCollector() as collector:
        os.environ.update(
            provider_environment(
                aws.endpoint_url,
                collector.ca_file,
                poll_interval=args.poll_interval,
                handoff_margin=args.handoff_margin,
                log_level="DEBUG" if args.verbose else "INFO",
            )
        )

        prepare_account()
        log = ProviderLog()
        # Powertools' logger keeps the stream that is stdout when it is built.
        with contextlib.redirect_stdout(log):
            provider = load_function("provider")
        _provider_on_clock(provider, clock)
        lambda_ = ClockedLambda(
            provider.handler, f"{PROVIDER_STACK}-ProviderFunction", args.lambda_timeout, clock
        )
        provider.continuation = lambda: lambda_
        stack = Stack(
            template,
            name=args.stack_name,
            region=REGION,
            account=ACCOUNT_ID,
            exports={
                f"{PROVIDER_STACK}-ServiceToken": lambda_.function_arn,
                f"{PROVIDER_STACK}-AsyncOutputS3Uri": f"s3://{PAYLOAD_BUCKET}/async-output/",
                f"{PROVIDER_STACK}-AsyncFailureS3Uri": f"s3://{PAYLOAD_BUCKET}/async-failure/",
            },
        )
        printer = EventPrinter(args.stack_name, clock, clock.now())
        os.environ["ASYNC_BUCKET"] = PAYLOAD_BUCKET
        invoker = InvokerDemo(load_function("invoker"), clock)
        cloudformation = CloudFormation(lambda_, collector, args.stack_name)
        player = StackPlayer(stack, cloudformation, printer, invoker, log, args.verbose)
        traffic = TrafficPlayer(stack, invoker, clock, printer.started)
        player.create()
        for step in stack.template.get("Metadata", {}).get("LocalDemo", {}).get("Steps", []):
            if "Expect" in step:
                player.update(step)
            else:
                traffic.play(step)
        player.delete()
        report_leftovers()
        print(f"{'':9}{lambda_.invocations} Lambda invocations in all")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m localaws.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument("template", nargs="?", default="examples/realtime-endpoint.yaml")
    parser.add_argument("--stack-name", default="churn-demo")
    parser.add_argument(
        "--verbose", action="store_true", help="show the provider's log lines for every request"
    )
    parser.add_argument("--create-seconds", type=float, default=4.0)
    parser.add_argument("--update-seconds", type=float, default=4.0)
    parser.add_argument("--delete-seconds", type=float, default=1.5)
    parser.add_argument("--poll-interval", type=float, default=0.5)
    parser.add_argument(
        "--lambda-timeout",
        type=float,
        default=5.0,
        help="seconds per provider invocation; short, to show waits continuing across them",
    )
    parser.add_argument("--handoff-margin", type=float, default=2.0)
    parser.add_argument(
        "--simulated-time",
        action="store_true",
        help="time passes only when something waits: instant, and the same on any machine",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    # The embedded server's access log would drown the stack events.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"local AWS: moto + SageMaker simulator; stack {args.stack_name} from {args.template}")
    try:
        template = load_template(args.template)
        mistakes = check_template(args.template, template, REGION)
        errors = [mistake for mistake in mistakes if mistake.fatal]
        # A warning beside an error is mostly its echo (a misspelt Ref leaves the parameter
        # unused): the errors alone say what to fix.
        for mistake in errors or mistakes:
            print(f"{'error' if mistake.fatal else 'warning'}: {mistake}", file=sys.stderr)
        if errors:
            return 1
        play(template, args)
    except FileNotFoundError as missing:
        print(f"demo failed: no such template: {missing.filename}", file=sys.stderr)
        return 1
    except (StepFailed, TemplateError) as failure:
        print(f"demo failed: {failure}", file=sys.stderr)
        return 1
    print("demo passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
