"""`make demo`: deploys an example consumer stack against the embedded local AWS.

Starts moto with the SageMaker simulator, runs the provider's real handler as Lambda would
(short invocations, so long waits visibly continue in fresh ones), and plays CloudFormation:
Create, the template's `Metadata.LocalDemo.Steps` as Updates (with the cleanup Delete after a
replacement), and a final Delete. Prints stack events with timings; exits 1 when a step does
not end as CloudFormation would need it to.
"""

from __future__ import annotations

import argparse
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


class StackPlayer:
    """Turns template changes into the requests CloudFormation would send, in its order."""

    def __init__(self, stack: Stack, cloudformation: CloudFormation, printer: EventPrinter):
        self.stack = stack
        self.cloudformation = cloudformation
        self.print = printer
        self.properties: dict[str, dict[str, Any]] = {}

    def resources(self) -> list[str]:
        resources = self.stack.template["Resources"]
        return [name for name, spec in resources.items() if spec["Type"] == CUSTOM_TYPE]

    def desired_properties(self, logical_id: str) -> dict[str, Any]:
        properties = self.stack.resolve(self.stack.template["Resources"][logical_id]["Properties"])
        properties.pop("ServiceToken")
        return properties

    def create(self) -> None:
        self.print("-", "CREATE_IN_PROGRESS", "stack")
        for logical_id in self.resources():
            properties = self.desired_properties(logical_id)
            self.print(logical_id, "CREATE_IN_PROGRESS")
            response = self.cloudformation.create(logical_id, properties)
            self._expect_success(logical_id, "CREATE", response)
            self._record(logical_id, properties, response)
        self.print("-", "CREATE_COMPLETE", "stack")
        self.print_outputs()

    def update(self, step: dict[str, Any]) -> None:
        self.stack.parameters = {key: str(value) for key, value in step["Parameters"].items()}
        self.print("-", "UPDATE_IN_PROGRESS", f"stack: {step['Name']}")
        replaced = []
        for logical_id in self.resources():
            old = self.properties[logical_id]
            new = self.desired_properties(logical_id)
            if new == old:
                continue
            old_id = self.stack.physical_ids[logical_id]
            self.print(logical_id, "UPDATE_IN_PROGRESS")
            response = self.cloudformation.update(logical_id, old_id, new, old)
            self._expect_success(logical_id, "UPDATE", response)
            _expect_shape(step["Expect"], old_id, response.physical_id)
            if response.physical_id != old_id:
                replaced.append((logical_id, old_id, old))
            self._record(logical_id, new, response)
        self.print("-", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "stack")
        for logical_id, old_id, old in replaced:
            self.print(logical_id, "DELETE_IN_PROGRESS", f"replaced {old_id}")
            response = self.cloudformation.delete(logical_id, old_id, old)
            self._expect_success(logical_id, "DELETE", response)
        self.print("-", "UPDATE_COMPLETE", "stack")
        self.print_outputs()

    def delete(self) -> None:
        self.print("-", "DELETE_IN_PROGRESS", "stack")
        for logical_id in reversed(self.resources()):
            self.print(logical_id, "DELETE_IN_PROGRESS")
            response = self.cloudformation.delete(
                logical_id, self.stack.physical_ids[logical_id], self.properties[logical_id]
            )
            self._expect_success(logical_id, "DELETE", response)
        self.print("-", "DELETE_COMPLETE", "stack")

    def print_outputs(self) -> None:
        for name, output in self.stack.template.get("Outputs", {}).items():
            print(f"{'':9}output {name} = {self.stack.resolve(output['Value'])}")

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
    s3.create_bucket(Bucket="sagemaker-demo-models")
    for version in ("v1", "v2"):
        s3.put_object(
            Bucket="sagemaker-demo-models", Key=f"churn/{version}/model.tar.gz", Body=b"model"
        )


def leftovers() -> dict[str, list[str]]:
    sagemaker = boto3.client("sagemaker")
    found = {
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
                log_level="WARNING",
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
            exports={f"{PROVIDER_STACK}-ServiceToken": lambda_.function_arn},
        )
        printer = EventPrinter(args.stack_name, time.monotonic())
        player = StackPlayer(stack, CloudFormation(lambda_, collector, args.stack_name), printer)
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
