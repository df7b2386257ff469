"""The example consumer stack, deployed for real through the provider."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "realtime-endpoint.yaml"

pytestmark = pytest.mark.e2e


def test_the_example_stack_creates_and_deletes_a_live_endpoint(provider_stack):
    # Given the example consumer stack and a unique stack name
    cloudformation = boto3.client("cloudformation")
    sagemaker = boto3.client("sagemaker")
    stack_name = f"e2e-churn-{uuid.uuid4().hex[:8]}"

    # When it is created through the deployed provider
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=EXAMPLE.read_text(),
        Parameters=[{"ParameterKey": "ProviderStackName", "ParameterValue": provider_stack}],
    )
    try:
        cloudformation.get_waiter("stack_create_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 15, "MaxAttempts": 240}
        )
        outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["Outputs"]
        }

        # Then the endpoint is InService on the config the stack reports
        endpoint = sagemaker.describe_endpoint(EndpointName=outputs["EndpointName"])
        assert endpoint["EndpointStatus"] == "InService"
        assert endpoint["EndpointConfigName"] == outputs["EndpointConfigName"]
    finally:
        cloudformation.delete_stack(StackName=stack_name)
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack_name, WaiterConfig={"Delay": 15, "MaxAttempts": 240}
        )

    # And after the delete nothing named for the stack is left
    remaining = sagemaker.list_endpoints(NameContains=stack_name)["Endpoints"]
    assert remaining == []
