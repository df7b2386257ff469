"""Hosting modes, autoscaling orchestration and safe deployments, through the real handler."""

from __future__ import annotations

import copy

import boto3
import pytest

from tests.support.events import load_event

LOGICAL_ID = "ChurnEndpoint"
BROKEN_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:fail"


@pytest.fixture
def properties():
    props = copy.deepcopy(load_event("create.json")["ResourceProperties"])
    del props["ServiceToken"]
    return props


@pytest.fixture
def autoscaling(provider_app):
    return boto3.client("application-autoscaling")


@pytest.fixture
def cloudwatch(provider_app):
    return boto3.client("cloudwatch")


@pytest.fixture
def provider_calls(provider_app):
    """Every AWS call the provider makes, in order, as `service.Operation`."""
    calls: list[str] = []

    def record(event_name: str, **_: object) -> None:
        _, service, operation = event_name.split(".")
        calls.append(f"{service}.{operation}")

    clients = provider_app.clients
    for client in (clients.sagemaker, clients.application_autoscaling, clients.cloudwatch):
        client.meta.events.register("before-call", record)
    yield calls
    for client in (clients.sagemaker, clients.application_autoscaling, clients.cloudwatch):
        client.meta.events.unregister("before-call", record)


def autoscaled(props, **scaling):
    changed = copy.deepcopy(props)
    variant = changed["ProductionVariants"][0]
    variant["InitialInstanceCount"] = "2"
    variant["AutoScaling"] = {
        "MinCapacity": "1",
        "MaxCapacity": "4",
        "TargetInvocationsPerInstance": "70",
        **scaling,
    }
    return changed


def scalable_targets(autoscaling, endpoint_name):
    targets = autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    return {
        t["ResourceId"].rsplit("/", 1)[1]: (t["MinCapacity"], t["MaxCapacity"])
        for t in targets
        if t["ResourceId"].startswith(f"endpoint/{endpoint_name}/")
    }


def policy_names(autoscaling, endpoint_name, variant="AllTraffic"):
    policies = autoscaling.describe_scaling_policies(
        ServiceNamespace="sagemaker", ResourceId=f"endpoint/{endpoint_name}/variant/{variant}"
    )["ScalingPolicies"]
    return sorted(p["PolicyName"] for p in policies)


def test_weighted_variants_with_their_own_and_existing_models(
    cloudformation, sagemaker, properties
):
    # Given an existing model from a registry, and variants for an A/B/C test
    sagemaker.create_model(
        ModelName="registry-model",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
        PrimaryContainer={"Image": "registry-image"},
    )
    properties["ProductionVariants"] = [
        {"VariantName": "A", "InstanceType": "ml.m5.large", "InitialVariantWeight": 0.8},
        {
            "VariantName": "B",
            "InstanceType": "ml.m5.large",
            "InitialVariantWeight": 0.1,
            "Containers": [{"Image": "challenger-image"}],
        },
        {
            "VariantName": "C",
            "InstanceType": "ml.m5.large",
            "InitialVariantWeight": 0.1,
            "ModelName": "registry-model",
        },
    ]

    # When created
    created = cloudformation.create(LOGICAL_ID, properties)

    # Then the config routes each variant to its model with its weight
    assert created.status == "SUCCESS", created.reason
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=created.data["EndpointConfigName"]
    )
    variants = {v["VariantName"]: v for v in config["ProductionVariants"]}
    assert variants["A"]["InitialVariantWeight"] == 0.8
    assert variants["C"]["ModelName"] == "registry-model"
    assert variants["A"]["ModelName"] != variants["B"]["ModelName"]
    assert len(created.data["ModelNames"].split(",")) == 3

    # When deleted, Then its own models go and the registry model stays
    deleted = cloudformation.delete(LOGICAL_ID, created.physical_id, properties)
    assert deleted.status == "SUCCESS", deleted.reason
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["registry-model"]


def test_serverless_endpoint_round_trip(cloudformation, sagemaker, properties):
    # Given a serverless variant
    properties["ProductionVariants"] = [
        {"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 10}}
    ]

    # When created, then given more memory, then deleted
    created = cloudformation.create(LOGICAL_ID, properties)
    bigger = copy.deepcopy(properties)
    bigger["ProductionVariants"][0]["ServerlessConfig"]["MemorySizeInMB"] = 4096
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, bigger, properties)

    # Then each step succeeded in place, on a config with the new memory
    assert (created.status, updated.status) == ("SUCCESS", "SUCCESS"), updated.reason
    assert updated.physical_id == created.physical_id
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=updated.data["EndpointConfigName"]
    )
    assert config["ProductionVariants"][0]["ServerlessConfig"]["MemorySizeInMB"] == 4096
    assert "InstanceType" not in config["ProductionVariants"][0]
    deleted = cloudformation.delete(LOGICAL_ID, created.physical_id, bigger)
    assert deleted.status == "SUCCESS"
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []


def test_async_endpoint_scales_to_zero_and_cleans_up(
    cloudformation, sagemaker, autoscaling, cloudwatch, properties
):
    # Given SNS topics and an async endpoint that may scale to zero on its backlog
    sns = boto3.client("sns")
    success = sns.create_topic(Name="churn-async-success")["TopicArn"]
    error = sns.create_topic(Name="churn-async-error")["TopicArn"]
    properties["AsyncInferenceConfig"] = {
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
        "OutputConfig": {
            "S3OutputPath": "s3://sagemaker-churn-async/out/",
            "S3FailurePath": "s3://sagemaker-churn-async/failed/",
            "NotificationConfig": {"SuccessTopic": success, "ErrorTopic": error},
        },
    }
    properties["ProductionVariants"][0]["AutoScaling"] = {
        "MinCapacity": 0,
        "MaxCapacity": 3,
        "TargetBacklogPerInstance": 5,
    }

    # When created
    created = cloudformation.create(LOGICAL_ID, properties)

    # Then the config is asynchronous, the variant scales between 0 and 3 on its backlog,
    # and an alarm on HasBacklogWithoutCapacity scales it out of zero
    assert created.status == "SUCCESS", created.reason
    name = created.data["EndpointName"]
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=created.data["EndpointConfigName"]
    )
    assert (
        config["AsyncInferenceConfig"]["OutputConfig"]["NotificationConfig"]["SuccessTopic"]
        == success
    )
    assert scalable_targets(autoscaling, name) == {"AllTraffic": (0, 3)}
    assert policy_names(autoscaling, name) == ["scale-out-from-zero", "target-tracking"]
    alarms = cloudwatch.describe_alarms(AlarmNamePrefix=name)["MetricAlarms"]
    assert [a["MetricName"] for a in alarms] == ["HasBacklogWithoutCapacity"]

    # When deleted, Then scaling, alarm and endpoint are all gone
    deleted = cloudformation.delete(LOGICAL_ID, created.physical_id, properties)
    assert deleted.status == "SUCCESS", deleted.reason
    assert scalable_targets(autoscaling, name) == {}
    assert cloudwatch.describe_alarms(AlarmNamePrefix=name)["MetricAlarms"] == []


def test_scaling_changes_apply_in_place_without_touching_the_endpoint(
    cloudformation, autoscaling, properties, local_aws
):
    # Given an autoscaled endpoint
    props = autoscaled(properties)
    created = cloudformation.create(LOGICAL_ID, props)
    name = created.data["EndpointName"]
    assert scalable_targets(autoscaling, name) == {"AllTraffic": (1, 4)}
    assert policy_names(autoscaling, name) == ["target-tracking"]

    # When only MaxCapacity changes
    wider = autoscaled(properties, MaxCapacity="8")
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, wider, props)

    # Then the target changes and the endpoint is never updated
    assert updated.status == "SUCCESS", updated.reason
    assert scalable_targets(autoscaling, name) == {"AllTraffic": (1, 8)}
    assert "UpdateEndpoint" not in local_aws.simulator.operations()

    # When autoscaling is removed
    plain = copy.deepcopy(wider)
    del plain["ProductionVariants"][0]["AutoScaling"]
    removed = cloudformation.update(LOGICAL_ID, created.physical_id, plain, wider)

    # Then the variant is no longer a scalable target, still without an endpoint update
    assert removed.status == "SUCCESS", removed.reason
    assert scalable_targets(autoscaling, name) == {}
    assert "UpdateEndpoint" not in local_aws.simulator.operations()


def test_an_instance_type_change_deregisters_updates_and_registers_again(
    cloudformation, autoscaling, properties, provider_calls, local_aws
):
    # Given an autoscaled endpoint
    props = autoscaled(properties)
    created = cloudformation.create(LOGICAL_ID, props)
    provider_calls.clear()

    # When its instance type changes (SageMaker refuses that while the target is registered)
    bigger = autoscaled(properties)
    bigger["ProductionVariants"][0]["InstanceType"] = "ml.c5.xlarge"
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, bigger, props)

    # Then policies go, the target goes, the endpoint updates, and scaling comes back after it
    assert updated.status == "SUCCESS", updated.reason
    order = [
        c
        for c in provider_calls
        if c.split(".")[1]
        in {
            "DeleteScalingPolicy",
            "DeregisterScalableTarget",
            "UpdateEndpoint",
            "RegisterScalableTarget",
            "PutScalingPolicy",
        }
    ]
    assert order == [
        "application-auto-scaling.DeleteScalingPolicy",
        "application-auto-scaling.DeregisterScalableTarget",
        "sagemaker.UpdateEndpoint",
        "application-auto-scaling.RegisterScalableTarget",
        "application-auto-scaling.PutScalingPolicy",
    ]
    assert scalable_targets(autoscaling, created.data["EndpointName"]) == {"AllTraffic": (1, 4)}
    # And the update kept the live instance count the autoscaler chose
    update = local_aws.simulator.calls_to("UpdateEndpoint")[-1]
    assert update.params["RetainAllVariantProperties"] is True


def test_a_model_change_keeps_the_scalable_target_registered(
    cloudformation, autoscaling, properties, provider_calls
):
    # Given an autoscaled endpoint
    props = autoscaled(properties)
    created = cloudformation.create(LOGICAL_ID, props)
    provider_calls.clear()

    # When only its model changes
    v2 = autoscaled(properties)
    v2["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-churn-models/churn/v2/model.tar.gz"
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, v2, props)

    # Then scaling was never deregistered
    assert updated.status == "SUCCESS", updated.reason
    assert "application-auto-scaling.DeregisterScalableTarget" not in provider_calls
    assert scalable_targets(autoscaling, created.data["EndpointName"]) == {"AllTraffic": (1, 4)}


def test_a_failed_update_restores_the_old_scaling(cloudformation, autoscaling, properties):
    # Given an autoscaled endpoint
    props = autoscaled(properties)
    created = cloudformation.create(LOGICAL_ID, props)

    # When an instance-type change brings a broken image (SageMaker rolls back)
    broken = autoscaled(properties)
    broken["ProductionVariants"][0]["InstanceType"] = "ml.c5.xlarge"
    broken["PrimaryContainer"]["Image"] = BROKEN_IMAGE
    failed = cloudformation.update(LOGICAL_ID, created.physical_id, broken, props)

    # Then the update fails and the old scaling is back
    assert failed.status == "FAILED"
    assert scalable_targets(autoscaling, created.data["EndpointName"]) == {"AllTraffic": (1, 4)}
    assert policy_names(autoscaling, created.data["EndpointName"]) == ["target-tracking"]

    # And the rollback update succeeds
    rollback = cloudformation.update(LOGICAL_ID, created.physical_id, props, broken)
    assert rollback.status == "SUCCESS", rollback.reason


def test_delete_removes_scaling_before_the_endpoint(
    cloudformation, autoscaling, properties, provider_calls
):
    props = autoscaled(properties)
    created = cloudformation.create(LOGICAL_ID, props)
    provider_calls.clear()

    deleted = cloudformation.delete(LOGICAL_ID, created.physical_id, props)

    assert deleted.status == "SUCCESS", deleted.reason
    assert provider_calls.index(
        "application-auto-scaling.DeregisterScalableTarget"
    ) < provider_calls.index("sagemaker.DeleteEndpoint")
    assert scalable_targets(autoscaling, created.data["EndpointName"]) == {}


def canary(alarm_name):
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "WaitIntervalInSeconds": 60,
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
            },
            "MaximumExecutionTimeoutInSeconds": 1800,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": alarm_name}]},
    }


def put_alarm(cloudwatch, name):
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


def test_a_canary_deployment_passes_its_policy_to_sagemaker(
    cloudformation, cloudwatch, properties, local_aws
):
    # Given an endpoint deployed with a canary policy guarded by an alarm
    put_alarm(cloudwatch, "churn-5xx")
    properties["DeploymentConfig"] = canary("churn-5xx")
    created = cloudformation.create(LOGICAL_ID, properties)

    # When its model changes and the alarm stays quiet
    v2 = copy.deepcopy(properties)
    v2["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-churn-models/churn/v2/model.tar.gz"
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, v2, properties)

    # Then the update succeeds, rolled out with the canary policy
    assert updated.status == "SUCCESS", updated.reason
    params = local_aws.simulator.calls_to("UpdateEndpoint")[-1].params
    routing = params["DeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]
    assert routing == {
        "Type": "CANARY",
        "WaitIntervalInSeconds": 60,
        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
    }


def test_an_alarm_rollback_fails_the_update_naming_the_alarm(
    cloudformation, cloudwatch, sagemaker, properties, local_aws
):
    # Given a canary-deployed endpoint whose alarm fires during the next update
    put_alarm(cloudwatch, "churn-5xx")
    properties["DeploymentConfig"] = canary("churn-5xx")
    created = cloudformation.create(LOGICAL_ID, properties)
    cloudwatch.set_alarm_state(AlarmName="churn-5xx", StateValue="ALARM", StateReason="5xx burst")

    # When the model changes
    v2 = copy.deepcopy(properties)
    v2["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-churn-models/churn/v2/model.tar.gz"
    failed = cloudformation.update(LOGICAL_ID, created.physical_id, v2, properties)

    # Then the update fails, naming the alarm that rolled it back once, on the old config
    assert failed.status == "FAILED"
    assert "update rolled back" in failed.reason
    assert failed.reason.count("churn-5xx") == 1
    endpoint = sagemaker.describe_endpoint(EndpointName=created.data["EndpointName"])
    assert endpoint["EndpointConfigName"] == created.data["EndpointConfigName"]

    # And CloudFormation's rollback update succeeds
    cloudwatch.set_alarm_state(AlarmName="churn-5xx", StateValue="OK", StateReason="quiet")
    rollback = cloudformation.update(LOGICAL_ID, created.physical_id, properties, v2)
    assert rollback.status == "SUCCESS", rollback.reason


def test_data_capture_and_shadow_variants_reach_the_config(cloudformation, sagemaker, properties):
    properties["DataCaptureConfig"] = {
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://sagemaker-churn-capture/",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    properties["ShadowProductionVariants"] = [
        {
            "VariantName": "Shadow",
            "InstanceType": "ml.m5.large",
            "Containers": [{"Image": "challenger-image"}],
        }
    ]

    created = cloudformation.create(LOGICAL_ID, properties)

    assert created.status == "SUCCESS", created.reason
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=created.data["EndpointConfigName"]
    )
    assert config["DataCaptureConfig"]["InitialSamplingPercentage"] == 20
    assert config["ShadowProductionVariants"][0]["VariantName"] == "Shadow"


def test_an_update_keeps_the_instance_count_the_autoscaler_chose(
    cloudformation, sagemaker, properties, local_aws, simulated_clock
):
    # Given an autoscaled endpoint that the autoscaler grew from 2 to 3 instances
    props = autoscaled(properties)
    created = cloudformation.create(LOGICAL_ID, props)
    name = created.data["EndpointName"]
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName=name,
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 3}],
    )
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Updating"
    simulated_clock.sleep(local_aws.simulator.settings.update_seconds)
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"

    # When its model changes
    v2 = autoscaled(properties)
    v2["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-churn-models/churn/v2/model.tar.gz"
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, v2, props)

    # Then the endpoint still runs 3 instances, not the config's initial 2
    assert updated.status == "SUCCESS", updated.reason
    variant = sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"][0]
    assert variant["CurrentInstanceCount"] == 3


def test_data_capture_changes_roll_out_through_a_new_config(cloudformation, sagemaker, properties):
    # Given an endpoint capturing 20 % of its traffic
    properties["DataCaptureConfig"] = {
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://sagemaker-churn-capture/",
        "CaptureOptions": [{"CaptureMode": "Input"}],
    }
    created = cloudformation.create(LOGICAL_ID, properties)

    # When the sampling rises to 50 %
    more = copy.deepcopy(properties)
    more["DataCaptureConfig"]["InitialSamplingPercentage"] = 50
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, more, properties)

    # Then the same endpoint runs a new config with it, and delete leaves nothing
    assert updated.status == "SUCCESS", updated.reason
    assert updated.physical_id == created.physical_id
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=updated.data["EndpointConfigName"]
    )
    assert config["DataCaptureConfig"]["InitialSamplingPercentage"] == 50
    deleted = cloudformation.delete(LOGICAL_ID, created.physical_id, more)
    assert deleted.status == "SUCCESS"
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []
