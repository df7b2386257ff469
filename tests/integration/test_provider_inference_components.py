"""Custom::SageMakerInferenceComponent, and the endpoint that hosts it, through the provider's
real handler as CloudFormation drives them: create, verified updates, rolled-back updates,
replacement, ordered and ownership-checked deletes."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest

from endpoint_provider.naming import COMPONENT_TAG, LOGICAL_ID_TAG, STACK_TAG, Owner
from localaws.cloudformation import CloudFormation
from tests.support.events import load_event

COMPONENT = "Custom::SageMakerInferenceComponent"
ENDPOINT_ID, COMPONENT_ID = "GpuEndpoint", "ChatModel"
FAILING_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tgi:fail"


def properties_of(event: str) -> dict[str, Any]:
    props = copy.deepcopy(load_event(event)["ResourceProperties"])
    del props["ServiceToken"]
    return props


@pytest.fixture
def endpoint_props() -> dict[str, Any]:
    return properties_of("create-component-endpoint.json")


@pytest.fixture
def component_props() -> dict[str, Any]:
    return properties_of("create-inference-component.json")


@pytest.fixture
def platform(cloudformation, endpoint_props) -> str:
    """The GPU endpoint a platform team's stack created; its physical ID."""
    created = cloudformation.create(ENDPOINT_ID, endpoint_props)
    assert created.status == "SUCCESS", created.reason
    return created.physical_id


@pytest.fixture
def models_stack(lambda_service, collector) -> CloudFormation:
    """Another team's stack, deploying components onto the platform's endpoint."""
    return CloudFormation(lambda_service, collector, stack_name="chat-models")


def with_artifact(props: dict[str, Any], version: str) -> dict[str, Any]:
    changed = copy.deepcopy(props)
    changed["PrimaryContainer"]["ModelDataUrl"] = f"s3://sagemaker-llm-models/chat/{version}/m.tgz"
    return changed


def component_models(sagemaker, component: str) -> list[str]:
    prefix = component.lower() + "-"
    return sorted(
        m["ModelName"]
        for m in sagemaker.list_models()["Models"]
        if m["ModelName"].startswith(prefix)
    )


def components(sagemaker) -> list[str]:
    listed = sagemaker.list_inference_components()["InferenceComponents"]
    return sorted(item["InferenceComponentName"] for item in listed)


def test_a_component_is_created_on_the_endpoint_and_deleted_with_its_model(
    platform, models_stack, component_props, sagemaker
):
    # When another stack creates a component on the platform's endpoint
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)

    # Then it answers with the component's ARN and what Fn::GetAtt reads
    assert created.status == "SUCCESS", created.reason
    name = created.data["InferenceComponentName"]
    described = sagemaker.describe_inference_component(InferenceComponentName=name)
    assert created.physical_id == described["InferenceComponentArn"]
    assert described["InferenceComponentStatus"] == "InService"
    assert created.data["VariantName"] == "AllTraffic"
    assert created.data["EndpointName"] == "llm-gpu"
    # And its model was made from the containers, named after the component
    assert component_models(sagemaker, name) == [created.data["ModelName"]]
    assert described["Specification"]["ModelName"] == created.data["ModelName"]
    # And the component carries its stack's ownership tags
    tags = {
        t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=created.physical_id)["Tags"]
    }
    assert tags[STACK_TAG] == models_stack.stack_id
    assert (tags[LOGICAL_ID_TAG], tags[COMPONENT_TAG]) == (COMPONENT_ID, name.lower())

    # When CloudFormation deletes it
    deleted = models_stack.delete(
        COMPONENT_ID, created.physical_id, component_props, resource_type=COMPONENT
    )

    # Then the component and its model are gone, and the endpoint stays
    assert deleted.status == "SUCCESS", deleted.reason
    assert components(sagemaker) == []
    assert component_models(sagemaker, name) == []
    assert sagemaker.describe_endpoint(EndpointName="llm-gpu")["EndpointStatus"] == "InService"


def test_a_component_that_fails_reports_sagemakers_reason_and_its_rollback_cleans_up(
    platform, models_stack, component_props, sagemaker
):
    # Given a container that never passes its health check
    component_props["PrimaryContainer"]["Image"] = FAILING_IMAGE

    # When the component is created
    failed = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)

    # Then it fails with SageMaker's FailureReason, naming the component it made
    assert failed.status == "FAILED"
    assert "did not pass the ping health check" in failed.reason
    assert ":inference-component/" in failed.physical_id

    # And CloudFormation's rollback Delete removes the component and its model
    rolled_back = models_stack.delete(
        COMPONENT_ID, failed.physical_id, component_props, resource_type=COMPONENT
    )
    assert rolled_back.status == "SUCCESS", rolled_back.reason
    assert components(sagemaker) == []
    assert sagemaker.list_models()["Models"] == []


def test_a_new_artifact_rolls_out_in_place_and_the_old_model_goes_after(
    platform, models_stack, component_props, sagemaker, local_aws
):
    # Given a running component
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)
    name, first_model = created.data["InferenceComponentName"], created.data["ModelName"]
    # And the next artifact, rolled out one copy at a time
    v2 = with_artifact(component_props, "v2")
    v2["DeploymentConfig"] = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": "1"},
            "WaitIntervalInSeconds": "0",
        }
    }

    # When the stack is updated
    updated = models_stack.update(
        COMPONENT_ID, created.physical_id, v2, component_props, resource_type=COMPONENT
    )

    # Then the same component serves the new model, through one UpdateInferenceComponent
    assert updated.status == "SUCCESS", updated.reason
    assert updated.physical_id == created.physical_id
    described = sagemaker.describe_inference_component(InferenceComponentName=name)
    assert described["Specification"]["ModelName"] == updated.data["ModelName"] != first_model
    [call] = local_aws.simulator.calls_to("UpdateInferenceComponent")
    assert call.params["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"] == {
        "Type": "COPY_COUNT",
        "Value": 1,
    }
    # And the copy count, unchanged in the template, was not sent again
    assert "RuntimeConfig" not in call.params
    # And only the new model is left
    assert component_models(sagemaker, name) == [updated.data["ModelName"]]


def test_a_rolled_back_update_fails_and_the_rollback_keeps_what_runs(
    platform, models_stack, component_props, sagemaker
):
    # Given a running component, and an update to an image that fails its health check
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)
    name, running_model = created.data["InferenceComponentName"], created.data["ModelName"]
    broken = copy.deepcopy(component_props)
    broken["PrimaryContainer"]["Image"] = FAILING_IMAGE

    # When the stack is updated
    failed = models_stack.update(
        COMPONENT_ID, created.physical_id, broken, component_props, resource_type=COMPONENT
    )

    # Then SageMaker's rollback (InService again, on the old specification) is reported FAILED
    assert failed.status == "FAILED"
    assert "update rolled back" in failed.reason
    described = sagemaker.describe_inference_component(InferenceComponentName=name)
    assert described["InferenceComponentStatus"] == "InService"
    assert described["Specification"]["ModelName"] == running_model
    # And the model made for the failed update is already gone; the running one stays
    assert component_models(sagemaker, name) == [running_model]

    # When CloudFormation rolls the stack back (properties swapped)
    rolled_back = models_stack.update(
        COMPONENT_ID, created.physical_id, component_props, broken, resource_type=COMPONENT
    )

    # Then it succeeds on what runs
    assert rolled_back.status == "SUCCESS", rolled_back.reason
    assert rolled_back.data["ModelName"] == running_model


def test_a_copy_count_alone_changes_through_the_runtime_config(
    platform, models_stack, component_props, sagemaker, local_aws
):
    # Given a running component with one copy
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)
    name = created.data["InferenceComponentName"]
    more = {**component_props, "RuntimeConfig": {"CopyCount": "2"}}

    # When only its copy count changes
    updated = models_stack.update(
        COMPONENT_ID, created.physical_id, more, component_props, resource_type=COMPONENT
    )

    # Then UpdateInferenceComponentRuntimeConfig changed it, and nothing else was redeployed
    assert updated.status == "SUCCESS", updated.reason
    runtime = sagemaker.describe_inference_component(InferenceComponentName=name)["RuntimeConfig"]
    assert runtime["DesiredCopyCount"] == runtime["CurrentCopyCount"] == 2
    assert len(local_aws.simulator.calls_to("UpdateInferenceComponentRuntimeConfig")) == 1
    assert local_aws.simulator.calls_to("UpdateInferenceComponent") == []


def test_moving_to_another_endpoint_replaces_the_component(
    cloudformation, platform, endpoint_props, models_stack, component_props, sagemaker
):
    # Given a component on the platform's endpoint, and a second endpoint
    second = {**endpoint_props, "EndpointName": "llm-gpu-2"}
    assert cloudformation.create("SecondEndpoint", second).status == "SUCCESS"
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)
    moved = {**component_props, "EndpointName": "llm-gpu-2"}

    # When the component's EndpointName changes
    replaced = models_stack.update(
        COMPONENT_ID, created.physical_id, moved, component_props, resource_type=COMPONENT
    )

    # Then a new component runs on the second endpoint, under a new physical ID
    assert replaced.status == "SUCCESS", replaced.reason
    assert replaced.physical_id != created.physical_id
    assert replaced.data["EndpointName"] == "llm-gpu-2"
    # And CloudFormation's clean-up Delete of the old one leaves only the new one
    cleanup = models_stack.delete(
        COMPONENT_ID, created.physical_id, component_props, resource_type=COMPONENT
    )
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert components(sagemaker) == [replaced.data["InferenceComponentName"]]
    assert sagemaker.list_models()["Models"][0]["ModelName"] == replaced.data["ModelName"]


def test_deleting_an_endpoint_that_hosts_another_stacks_components_fails_and_deletes_nothing(
    cloudformation, platform, endpoint_props, models_stack, component_props, sagemaker
):
    # Given a component of another stack on the platform's endpoint
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)
    before = sagemaker.describe_endpoint(EndpointName="llm-gpu")

    # When the platform's stack deletes the endpoint
    deleted = cloudformation.delete(ENDPOINT_ID, platform, endpoint_props)

    # Then it fails, naming the component and its stack
    assert deleted.status == "FAILED"
    assert created.data["InferenceComponentName"] in deleted.reason
    assert "stack chat-models" in deleted.reason
    # And nothing was deleted: the endpoint, its config and the component still run
    after = sagemaker.describe_endpoint(EndpointName="llm-gpu")
    assert after["EndpointStatus"] == "InService"
    assert after["EndpointConfigName"] == before["EndpointConfigName"]
    sagemaker.describe_endpoint_config(EndpointConfigName=before["EndpointConfigName"])
    assert components(sagemaker) == [created.data["InferenceComponentName"]]


def test_an_endpoint_model_a_component_serves_survives_the_endpoints_update(
    cloudformation, platform, models_stack, component_props, endpoint_properties, sagemaker
):
    # Given a model-serving endpoint, and a component serving that endpoint's model by name
    del endpoint_properties["ServiceToken"]
    serving = cloudformation.create("ChurnEndpoint", endpoint_properties)
    shared_model = serving.data["ModelName"]
    del component_props["PrimaryContainer"]
    component_props["Specification"]["ModelName"] = shared_model
    assert models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT).status == (
        "SUCCESS"
    )
    # And the endpoint's next model
    v2 = copy.deepcopy(endpoint_properties)
    v2["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-churn-models/churn/v2/model.tar.gz"

    # When the endpoint moves to it, which supersedes the shared model
    updated = cloudformation.update("ChurnEndpoint", serving.physical_id, v2, endpoint_properties)

    # Then the endpoint's clean-up keeps the model the component still serves
    assert updated.status == "SUCCESS", updated.reason
    models = {m["ModelName"] for m in sagemaker.list_models()["Models"]}
    assert {shared_model, updated.data["ModelName"]} <= models


def test_a_variant_must_be_named_on_an_endpoint_with_several(
    cloudformation, endpoint_props, models_stack, component_props
):
    # Given an endpoint with two variants
    variant = endpoint_props["ProductionVariants"][0]
    endpoint_props["ProductionVariants"] = [variant, {**variant, "VariantName": "Blue"}]
    assert cloudformation.create(ENDPOINT_ID, endpoint_props).status == "SUCCESS"

    # When a component names none
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)

    # Then it fails saying which to name
    assert created.status == "FAILED"
    assert "VariantName: required, since endpoint llm-gpu has variants AllTraffic, Blue" in (
        created.reason
    )


def test_a_component_still_creating_is_waited_on_then_deleted(
    platform, models_stack, component_props, sagemaker, local_aws
):
    # Given this stack resource's component, made by a Create whose answer never came back,
    # still Creating (SageMaker refuses to delete it then)
    local_aws.simulator.settings.component_create_seconds = 60
    del component_props["PrimaryContainer"]
    component_props["Specification"]["ModelName"] = "registry-llama"
    component_props["InferenceComponentName"] = "chat"
    sagemaker.create_model(
        ModelName="registry-llama",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
        PrimaryContainer={"Image": "tgi"},
    )
    tags = Owner(models_stack.stack_id, COMPONENT_ID, "llm-gpu", component_name="chat").tags()
    arn = sagemaker.create_inference_component(
        InferenceComponentName="chat",
        EndpointName="llm-gpu",
        VariantName="AllTraffic",
        Specification=component_props["Specification"]
        | {"ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1},
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )["InferenceComponentArn"]

    # When CloudFormation deletes it
    deleted = models_stack.delete(COMPONENT_ID, arn, component_props, resource_type=COMPONENT)

    # Then the Delete waited for it to leave Creating, deleted it, and kept a model not its own
    assert deleted.status == "SUCCESS", deleted.reason
    assert components(sagemaker) == []
    [delete] = local_aws.simulator.calls_to("DeleteInferenceComponent")
    [created] = local_aws.simulator.calls_to("CreateInferenceComponent")
    assert delete.at >= created.at + 60
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["registry-llama"]


def scaled(props: dict[str, Any], minimum: str = "1") -> dict[str, Any]:
    changed = copy.deepcopy(props)
    del changed["RuntimeConfig"]
    changed["AutoScaling"] = {
        "MinCopies": minimum,
        "MaxCopies": "4",
        "TargetInvocationsPerCopy": "10",
    }
    return changed


def copies_target(autoscaling, name: str) -> dict[str, Any] | None:
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[f"inference-component/{name}"]
    )["ScalableTargets"]
    return targets[0] if targets else None


def test_an_update_keeps_the_copies_scaling_chose_and_resumes_scaling(
    platform, models_stack, component_props, sagemaker, local_aws
):
    # Given an autoscaled component whose scaling has since set three copies
    autoscaling = boto3.client("application-autoscaling")
    props = scaled(component_props)
    created = models_stack.create(COMPONENT_ID, props, resource_type=COMPONENT)
    assert created.status == "SUCCESS", created.reason
    name = created.data["InferenceComponentName"]
    assert copies_target(autoscaling, name)["MinCapacity"] == 1
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": 3}
    )

    # When the model's next artifact is deployed
    updated = models_stack.update(
        COMPONENT_ID,
        created.physical_id,
        with_artifact(props, "v2"),
        props,
        resource_type=COMPONENT,
    )

    # Then the update sent no copy count, and scaling's three copies still run
    assert updated.status == "SUCCESS", updated.reason
    [update] = local_aws.simulator.calls_to("UpdateInferenceComponent")
    assert "RuntimeConfig" not in update.params
    runtime = sagemaker.describe_inference_component(InferenceComponentName=name)["RuntimeConfig"]
    assert runtime["DesiredCopyCount"] == 3
    # And scaling was suspended for the update, and is not any more
    target = copies_target(autoscaling, name)
    assert not any(target.get("SuspendedState", {}).values())
    assert len(local_aws.simulator.calls_to("UpdateInferenceComponent")) == 1


def test_scaling_to_zero_copies_needs_an_endpoint_that_releases_its_instances(
    platform, models_stack, component_props, sagemaker
):
    # Given copies that may scale to zero, on an endpoint that keeps at least one instance
    props = scaled(component_props, minimum="0")

    # When the component is created
    created = models_stack.create(COMPONENT_ID, props, resource_type=COMPONENT)

    # Then it fails before anything is made, saying what the combination needs
    assert created.status == "FAILED"
    assert (
        "AutoScaling.MinCopies: 0 needs ManagedInstanceScaling.MinInstanceCount 0 on endpoint "
        "llm-gpu (AllTraffic: it is 1) to release its GPUs; or MinCopies 1"
    ) in created.reason
    assert components(sagemaker) == [] and sagemaker.list_models()["Models"] == []


def test_deleting_an_autoscaled_component_removes_its_scaling_first(
    cloudformation, endpoint_props, models_stack, component_props, local_aws
):
    # Given a component scaling to zero on an endpoint that releases its instances
    endpoint_props["ProductionVariants"][0]["ManagedInstanceScaling"]["MinInstanceCount"] = "0"
    assert cloudformation.create(ENDPOINT_ID, endpoint_props).status == "SUCCESS"
    props = scaled(component_props, minimum="0")
    created = models_stack.create(COMPONENT_ID, props, resource_type=COMPONENT)
    assert created.status == "SUCCESS", created.reason
    name = created.data["InferenceComponentName"]
    autoscaling = boto3.client("application-autoscaling")
    cloudwatch = boto3.client("cloudwatch")
    policies = autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")
    assert sorted(p["PolicyName"] for p in policies["ScalingPolicies"]) == [
        "scale-out-from-zero",
        "target-tracking",
    ]
    assert cloudwatch.describe_alarms(AlarmNames=[f"{name}-no-capacity"])["MetricAlarms"]

    # When it is deleted
    deleted = models_stack.delete(COMPONENT_ID, created.physical_id, props, resource_type=COMPONENT)

    # Then its target, policies and alarm are gone with it
    assert deleted.status == "SUCCESS", deleted.reason
    assert copies_target(autoscaling, name) is None
    assert (
        autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    )
    assert cloudwatch.describe_alarms(AlarmNames=[f"{name}-no-capacity"])["MetricAlarms"] == []


def test_removing_autoscaling_brings_back_the_templates_copy_count(
    platform, models_stack, component_props, sagemaker
):
    # Given an autoscaled component that scaling took to three copies
    props = scaled(component_props)
    created = models_stack.create(COMPONENT_ID, props, resource_type=COMPONENT)
    name = created.data["InferenceComponentName"]
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": 3}
    )

    # When AutoScaling is removed and the template names one copy
    updated = models_stack.update(
        COMPONENT_ID, created.physical_id, component_props, props, resource_type=COMPONENT
    )

    # Then the component runs the template's count again
    assert updated.status == "SUCCESS", updated.reason
    runtime = sagemaker.describe_inference_component(InferenceComponentName=name)["RuntimeConfig"]
    assert runtime["DesiredCopyCount"] == 1


def test_a_scheduling_change_alone_rolls_out(platform, models_stack, component_props, local_aws):
    # Given a running component, and only its copies' placement changed
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)
    changed = copy.deepcopy(component_props)
    changed["Specification"]["SchedulingConfig"] = {"PlacementStrategy": "BINPACK"}

    # When the stack is updated
    updated = models_stack.update(
        COMPONENT_ID, created.physical_id, changed, component_props, resource_type=COMPONENT
    )

    # Then SageMaker was asked for it, though it describes no such difference
    assert updated.status == "SUCCESS", updated.reason
    [update] = local_aws.simulator.calls_to("UpdateInferenceComponent")
    assert update.params["Specification"]["SchedulingConfig"] == {"PlacementStrategy": "BINPACK"}


def test_an_endpoint_delete_waits_for_another_stacks_component_already_going(
    cloudformation, platform, endpoint_props, models_stack, component_props, sagemaker
):
    # Given another stack's component whose deletion has started
    created = models_stack.create(COMPONENT_ID, component_props, resource_type=COMPONENT)
    sagemaker.delete_inference_component(
        InferenceComponentName=created.data["InferenceComponentName"]
    )

    # When the platform's stack deletes the endpoint
    deleted = cloudformation.delete(ENDPOINT_ID, platform, endpoint_props)

    # Then it waits for the component to go, then deletes the endpoint
    assert deleted.status == "SUCCESS", deleted.reason
    assert sagemaker.list_endpoints()["Endpoints"] == []


def test_a_delete_while_the_create_awaits_its_endpoint_leaves_nothing(
    platform, lambda_service, models_stack, collector, component_props, sagemaker, local_aws
):
    # Given a Create waiting for its endpoint (busy with an update of its own, for two and a
    # half minutes) in invocations of two minutes that hand off one minute before their end
    lambda_service.timeout_seconds = 120
    running = sagemaker.describe_endpoint(EndpointName="llm-gpu")
    config = sagemaker.describe_endpoint_config(EndpointConfigName=running["EndpointConfigName"])
    sagemaker.create_endpoint_config(
        EndpointConfigName="llm-gpu-next",
        ProductionVariants=config["ProductionVariants"],
        ExecutionRoleArn=config["ExecutionRoleArn"],
    )
    local_aws.simulator.settings.update_seconds = 150
    sagemaker.update_endpoint(EndpointName="llm-gpu", EndpointConfigName="llm-gpu-next")
    create = models_stack.request("Create", COMPONENT_ID, component_props, resource_type=COMPONENT)
    lambda_service.invoke(create)
    assert not collector.responses(create["RequestId"])
    assert len(lambda_service.queued) == 1

    # When CloudFormation deletes the resource meanwhile (the Create has not answered)
    deleted = models_stack.send(
        models_stack.request(
            "Delete", COMPONENT_ID, component_props, physical_id="none", resource_type=COMPONENT
        )
    )
    while not collector.responses(create["RequestId"]) and lambda_service.run_queued():
        pass

    # Then the Delete succeeds, the Create fails, and no component or model of it is left
    assert deleted.status == "SUCCESS", deleted.reason
    [answer] = collector.responses(create["RequestId"])
    assert answer.status == "FAILED" and "a Delete of this resource ran" in answer.reason
    assert components(sagemaker) == []
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == []
