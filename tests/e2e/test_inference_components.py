"""The LLM example stack (a GPU endpoint hosting two inference components), deployed for real
through the provider: what only a real account can confirm about SageMaker's behaviour."""

from __future__ import annotations

import uuid
from pathlib import Path

import boto3
import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llm-inference-components.yaml"
WAIT = {"Delay": 30, "MaxAttempts": 240}

pytestmark = pytest.mark.e2e


def test_the_llm_stack_hosts_two_components_then_leaves_nothing(provider_stack):
    # Given the example stack (ml.g5.12xlarge quota and the models' artifacts in ModelBucket)
    cloudformation = boto3.client("cloudformation")
    sagemaker = boto3.client("sagemaker")
    stack_name = f"e2e-llm-{uuid.uuid4().hex[:8]}"
    parameters = [{"ParameterKey": "ProviderStackName", "ParameterValue": provider_stack}]

    # When it is created through the deployed provider
    cloudformation.create_stack(
        StackName=stack_name, TemplateBody=EXAMPLE.read_text(), Parameters=parameters
    )
    try:
        cloudformation.get_waiter("stack_create_complete").wait(
            StackName=stack_name, WaiterConfig=WAIT
        )
        outputs = {
            o["OutputKey"]: o["OutputValue"]
            for o in cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]["Outputs"]
        }

        # Then both components are InService on the endpoint
        listed = sagemaker.list_inference_components(EndpointNameEquals=outputs["EndpointName"])
        names = {item["InferenceComponentName"] for item in listed["InferenceComponents"]}
        assert names == {outputs["ChatComponentName"], outputs["CodeComponentName"]}
        for name in names:
            described = sagemaker.describe_inference_component(InferenceComponentName=name)
            assert described["InferenceComponentStatus"] == "InService"
    finally:
        cloudformation.delete_stack(StackName=stack_name)
        cloudformation.get_waiter("stack_delete_complete").wait(
            StackName=stack_name, WaiterConfig=WAIT
        )

    # And after the delete neither the endpoint nor a component is left
    assert sagemaker.list_endpoints(NameContains=stack_name)["Endpoints"] == []
    assert sagemaker.list_inference_components(NameContains=stack_name)["InferenceComponents"] == []
