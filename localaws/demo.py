"""`make demo`: deploys an example consumer stack against the embedded local AWS.

Starts moto with the SageMaker simulator, runs the provider's real handler as Lambda would
(short invocations, so long waits visibly continue in fresh ones), and plays CloudFormation:
Create, the template's `Metadata.LocalDemo.Steps` as Updates (with the cleanup Delete after a
replacement), and a final Delete. Prints stack events with timings; exits 1 when a step does
not end as CloudFormation would need it to.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from localaws.cloudformation import (
    ACCOUNT_ID,
    REGION,
    CloudFormation,
    LambdaContext,
    LocalLambda,
    Response,
    ResponseCollector,
)
from localaws.functions import DEFAULT_ROLE_ARN, load_function, provider_environment
from localaws.server import LocalAws
from localaws.simulator import SimulatorSettings
from localaws.template import Stack, load_template

CUSTOM_TYPE = "Custom::SageMakerEndpoint"
PROVIDER_STACK = "sagemaker-endpoint-provider"
# The provider stack's bucket for async payloads, as its export names it.
PAYLOAD_BUCKET = f"{PROVIDER_STACK}-async-payloads"
EVENTS = Path(__file__).resolve().parent.parent / "events"


class StepFailed(Exception):
    pass


@dataclass
class EventPrinter:
    stack_name: str
    started: float

    def __call__(self, logical_id: str, status: str, detail: str = "") -> None:
        elapsed = time.monotonic() - self.started
        line = f"{elapsed:7.1f}s  {self.stack_name:<12} {logical_id:<16} {status:<36} {detail}"
        print(line.rstrip(), flush=True)


class NativeResources:
    """The few native resource types the examples put beside their endpoints, created in
    moto as CloudFormation would (Ref gives what the real resource's Ref gives)."""

    def __init__(self, stack: Stack):
        self.stack = stack

    def create(self, logical_id: str, spec: dict[str, Any]) -> str:
        properties = self.stack.resolve(spec.get("Properties", {}))
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

    def delete(self, logical_id: str, spec: dict[str, Any], physical_id: str) -> None:
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
    ):
        self.stack = stack
        self.cloudformation = cloudformation
        self.print = printer
        self.invoker = invoker
        self.natives = NativeResources(stack)
        self.properties: dict[str, dict[str, Any]] = {}

    def resources(self) -> list[str]:
        return [name for name, spec in self._specs().items() if spec["Type"] == CUSTOM_TYPE]

    def native_resources(self) -> list[str]:
        return [name for name, spec in self._specs().items() if spec["Type"] != CUSTOM_TYPE]

    def desired_properties(self, logical_id: str) -> dict[str, Any]:
        properties = self.stack.resolve(self._specs()[logical_id]["Properties"])
        properties.pop("ServiceToken")
        return properties

    def create(self) -> None:
        self.print("-", "CREATE_IN_PROGRESS", "stack")
        for logical_id in self.native_resources():
            self.stack.physical_ids[logical_id] = self.natives.create(
                logical_id, self._specs()[logical_id]
            )
            self.print(logical_id, "CREATE_COMPLETE", self.stack.physical_ids[logical_id])
        for logical_id in self.resources():
            properties = self.desired_properties(logical_id)
            self.print(logical_id, "CREATE_IN_PROGRESS")
            response = self.cloudformation.create(logical_id, properties)
            self._expect_success(logical_id, "CREATE", response)
            self._record(logical_id, properties, response)
        self.print("-", "CREATE_COMPLETE", "stack")
        self.describe()
        for logical_id in self.resources():
            asynchronous = "AsyncInferenceConfig" in self.properties[logical_id]
            self.invoker.call(self.stack.attributes[logical_id]["EndpointName"], asynchronous)

    def update(self, step: dict[str, Any]) -> None:
        previous = self.stack.parameters
        self.stack.parameters = {key: str(value) for key, value in step["Parameters"].items()}
        self._set_alarms(step.get("SetAlarmState", {}))
        self.print("-", "UPDATE_IN_PROGRESS", f"stack: {step['Name']}")
        if step["Expect"] == "rolled-back":
            self._update_rolled_back(previous)
        else:
            self._update_completes(step["Expect"])
        self._set_alarms({name: "OK" for name in step.get("SetAlarmState", {})})
        self.describe()

    def _update_completes(self, expect: str) -> None:
        replaced = []
        for logical_id, old, new in self._changes():
            old_id = self.stack.physical_ids[logical_id]
            self.print(logical_id, "UPDATE_IN_PROGRESS")
            response = self.cloudformation.update(logical_id, old_id, new, old)
            self._expect_success(logical_id, "UPDATE", response)
            _expect_shape(expect, old_id, response.physical_id)
            if response.physical_id != old_id:
                replaced.append((logical_id, old_id, old))
            self._record(logical_id, new, response)
        self.print("-", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "stack")
        for logical_id, old_id, old in replaced:
            self.print(logical_id, "DELETE_IN_PROGRESS", f"replaced {old_id}")
            response = self.cloudformation.delete(logical_id, old_id, old)
            self._expect_success(logical_id, "DELETE", response)
        self.print("-", "UPDATE_COMPLETE", "stack")

    def _update_rolled_back(self, previous: dict[str, str]) -> None:
        """The update must fail; CloudFormation then sends it back with properties swapped."""
        for logical_id, old, new in self._changes():
            physical_id = self.stack.physical_ids[logical_id]
            self.print(logical_id, "UPDATE_IN_PROGRESS")
            failed = self.cloudformation.update(logical_id, physical_id, new, old)
            if failed.status != "FAILED":
                raise StepFailed(f"{logical_id}: expected the update to roll back, it succeeded")
            self.print(logical_id, "UPDATE_FAILED", failed.reason)
            self.print("-", "UPDATE_ROLLBACK_IN_PROGRESS", "stack")
            self.print(logical_id, "UPDATE_IN_PROGRESS", "rollback")
            rollback = self.cloudformation.update(logical_id, physical_id, old, new)
            self._expect_success(logical_id, "UPDATE", rollback)
        self.stack.parameters = previous
        self.print("-", "UPDATE_ROLLBACK_COMPLETE", "stack")

    def delete(self) -> None:
        self.print("-", "DELETE_IN_PROGRESS", "stack")
        for logical_id in reversed(self.resources()):
            self.print(logical_id, "DELETE_IN_PROGRESS")
            response = self.cloudformation.delete(
                logical_id, self.stack.physical_ids[logical_id], self.properties[logical_id]
            )
            self._expect_success(logical_id, "DELETE", response)
        for logical_id in reversed(self.native_resources()):
            spec = self._specs()[logical_id]
            self.natives.delete(logical_id, spec, self.stack.physical_ids[logical_id])
            self.print(logical_id, "DELETE_COMPLETE")
        self.print("-", "DELETE_COMPLETE", "stack")

    def describe(self) -> None:
        """What the stack's outputs say, and what SageMaker and the autoscaler now hold."""
        for name, output in self.stack.template.get("Outputs", {}).items():
            print(f"{'':9}output {name} = {self.stack.resolve(output['Value'])}")
        for logical_id in self.resources():
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

    def _record(self, logical_id: str, properties: dict[str, Any], response: Response) -> None:
        self.properties[logical_id] = properties
        self.stack.physical_ids[logical_id] = response.physical_id
        self.stack.attributes[logical_id] = response.data

    def _expect_success(self, logical_id: str, action: str, response: Response) -> None:
        timing = f"{response.seconds:.1f}s, {response.invocations} invocation(s)"
        if response.status != "SUCCESS":
            self.print(logical_id, f"{action}_FAILED", f"{response.reason} ({timing})")
            raise StepFailed(f"{logical_id} {action} failed: {response.reason}")
        if response.size >= 4096:
            raise StepFailed(f"{logical_id} {action}: response of {response.size} bytes")
        self.print(logical_id, f"{action}_COMPLETE", f"{response.physical_id} ({timing})")


class InvokerDemo:
    """Calls each new endpoint through the invoker Lambda, as a Function URL caller would."""

    def __init__(self, invoker: Any):
        self.invoker = invoker

    def call(self, endpoint_name: str, asynchronous: bool) -> None:
        os.environ["SAGEMAKER_ENDPOINT_NAME"] = endpoint_name
        self.invoker.invoker.cache_clear()
        if asynchronous:
            self._async()
        else:
            self._realtime()

    def _realtime(self) -> None:
        event = json.loads((EVENTS / "invoke-function-url.json").read_text())
        answer = self._invoke(event)
        self._show("invoke (Function URL)", answer)
        if answer["statusCode"] != 200:
            raise StepFailed(f"the invoker answered {answer['statusCode']}: {answer['body']}")
        direct = self._invoke({"body": "0.3,12,1,0", "contentType": "text/csv"})
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
            time.sleep(0.1)
            result = self._invoke(fetch)
        self._show("fetch result (GET ?location=...)", result)
        if result["statusCode"] != 200:
            raise StepFailed(f"the async result did not arrive: {result}")

    def _invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        context = LambdaContext("invoker", f"{PROVIDER_STACK}-InvokerFunction", 60)
        # The invoker writes its metrics to stdout (CloudWatch's EMF); here they would
        # drown the stack events.
        with contextlib.redirect_stdout(io.StringIO()):
            return self.invoker.handler(event, context)

    def _show(self, what: str, answer: dict[str, Any]) -> None:
        body = answer.get("body")
        text = body if isinstance(body, str) else json.dumps(body)
        print(f"{'':9}{what} -> {answer['statusCode']} {text[:100]}")


def endpoint_summary(endpoint_name: str) -> str:
    endpoint = boto3.client("sagemaker").describe_endpoint(EndpointName=endpoint_name)
    targets = boto3.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    scaling = [
        f"{t['ResourceId'].rsplit('/', 1)[1]} {t['MinCapacity']}-{t['MaxCapacity']} instances"
        for t in targets
        if t["ResourceId"].startswith(f"endpoint/{endpoint_name}/")
    ]
    summary = f"{endpoint_name}: {endpoint['EndpointStatus']} on {endpoint['EndpointConfigName']}"
    return summary + (f"; autoscaling {', '.join(scaling)}" if scaling else "")


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
    }
    return {kind: names for kind, names in found.items() if names}


def play(template_path: Path, args: argparse.Namespace) -> None:
    simulated = SimulatorSettings(
        create_seconds=args.create_seconds,
        update_seconds=args.update_seconds,
        delete_seconds=args.delete_seconds,
    )
    with LocalAws(settings=simulated) as aws, ResponseCollector() as collector:
        os.environ.update(
            provider_environment(
                aws.endpoint_url,
                collector.ca_file,
                poll_interval=args.poll_interval,
                handoff_margin=args.handoff_margin,
                log_level="CRITICAL",
            )
        )

        prepare_account()
        provider = load_function("provider")
        lambda_ = LocalLambda(
            provider.handler, f"{PROVIDER_STACK}-ProviderFunction", args.lambda_timeout
        )
        provider.continuation = lambda: lambda_
        stack = Stack(
            load_template(template_path),
            name=args.stack_name,
            region=REGION,
            account=ACCOUNT_ID,
            exports={
                f"{PROVIDER_STACK}-ServiceToken": lambda_.function_arn,
                f"{PROVIDER_STACK}-AsyncOutputS3Uri": f"s3://{PAYLOAD_BUCKET}/async-output/",
                f"{PROVIDER_STACK}-AsyncFailureS3Uri": f"s3://{PAYLOAD_BUCKET}/async-failure/",
            },
        )
        printer = EventPrinter(args.stack_name, time.monotonic())
        os.environ["ASYNC_BUCKET"] = PAYLOAD_BUCKET
        invoker = InvokerDemo(load_function("invoker"))
        cloudformation = CloudFormation(lambda_, collector, args.stack_name)
        player = StackPlayer(stack, cloudformation, printer, invoker)
        player.create()
        for step in stack.template.get("Metadata", {}).get("LocalDemo", {}).get("Steps", []):
            player.update(step)
        player.delete()
        left = leftovers()
        if left:
            raise StepFailed(f"the stack is deleted but SageMaker still holds {left}")
        print(f"{'':9}nothing left in SageMaker; {lambda_.invocations} Lambda invocations in all")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", default="examples/realtime-endpoint.yaml")
    parser.add_argument("--stack-name", default="churn-demo")
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
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    # The embedded server's access log would drown the stack events.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    print(f"local AWS: moto + SageMaker simulator; stack {args.stack_name} from {args.template}")
    try:
        play(Path(args.template), args)
    except StepFailed as failure:
        print(f"demo failed: {failure}", file=sys.stderr)
        return 1
    print("demo passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
