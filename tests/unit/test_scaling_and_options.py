"""Desired state for hosting modes, scaling requests, and the planner's autoscaling rules."""

from __future__ import annotations

import copy

import pytest

from endpoint_provider import scaling_requests
from endpoint_provider.endpoint.update_plan import UpdatePlan, plan_update, variants_to_suspend


@pytest.fixture
def autoscaled(endpoint_properties):
    variant = endpoint_properties["ProductionVariants"][0]
    variant["InitialInstanceCount"] = "2"
    variant["AutoScaling"] = {
        "MinCapacity": "1",
        "MaxCapacity": "4",
        "TargetInvocationsPerInstance": "70",
        "ScaleInCooldown": "600",
    }
    return endpoint_properties


def test_each_variant_gets_its_model_and_shared_models_are_created_once(endpoint_properties, state):
    # Given two variants on the resource's model, one with its own, one on an existing model
    endpoint_properties["ProductionVariants"] = [
        {"VariantName": "A", "InstanceType": "ml.m5.large", "InitialVariantWeight": "0.8"},
        {"VariantName": "B", "InstanceType": "ml.m5.large", "InitialVariantWeight": "0.1"},
        {"VariantName": "C", "InstanceType": "ml.m5.large", "Containers": [{"Image": "img-c"}]},
        {"VariantName": "D", "InstanceType": "ml.m5.large", "ModelName": "registry-model"},
    ]

    # When the desired state is built
    desired = state(endpoint_properties)

    # Then two models are created (shared, C's own) and D uses the existing one
    assert len(desired.models) == 2
    names = [v["ModelName"] for v in desired.config.request["ProductionVariants"]]
    assert names[0] == names[1] != names[2]
    assert names[3] == "registry-model"
    assert desired.config.model_names == [names[0], names[2], "registry-model"]


def test_a_serverless_variant_has_no_instance_fields(endpoint_properties, state):
    endpoint_properties["ProductionVariants"] = [
        {"ServerlessConfig": {"MemorySizeInMB": "2048", "MaxConcurrency": "5"}}
    ]
    variant = state(endpoint_properties).config.request["ProductionVariants"][0]
    assert variant["ServerlessConfig"] == {"MemorySizeInMB": 2048, "MaxConcurrency": 5}
    assert "InstanceType" not in variant and "InitialInstanceCount" not in variant


def test_scaling_and_update_options_stay_out_of_the_config(autoscaled, state):
    desired = state(autoscaled)
    variant = desired.config.request["ProductionVariants"][0]
    assert "AutoScaling" not in variant
    assert desired.scaling[0].resource_id.endswith("/variant/AllTraffic")
    # And retaining variant properties is on, because a variant autoscales
    assert desired.update_options == {"RetainAllVariantProperties": True}


def test_retaining_variant_properties_can_be_turned_off_and_refined(autoscaled, state):
    autoscaled["RetainAllVariantProperties"] = "false"
    assert state(autoscaled).update_options == {}
    autoscaled["RetainAllVariantProperties"] = "true"
    autoscaled["ExcludeRetainedVariantProperties"] = [{"VariantPropertyType": "DesiredWeight"}]
    assert state(autoscaled).update_options["ExcludeRetainedVariantProperties"] == [
        {"VariantPropertyType": "DesiredWeight"}
    ]


def test_a_scaling_only_change_needs_no_new_config(autoscaled, state):
    # Given a new MaxCapacity
    new = copy.deepcopy(autoscaled)
    new["ProductionVariants"][0]["AutoScaling"]["MaxCapacity"] = "8"

    # When planned
    old_state, new_state = state(autoscaled), state(new)
    plan = plan_update(old_state, new_state, old_state.endpoint_name)

    # Then only scaling changes, in place
    assert plan == UpdatePlan(reasons=("autoscaling: in place",))


def test_a_deployment_config_change_alone_needs_no_new_config(autoscaled, state):
    new = copy.deepcopy(autoscaled)
    new["DeploymentConfig"] = {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": "0"}
        }
    }
    old_state, new_state = state(autoscaled), state(new)
    assert plan_update(old_state, new_state, old_state.endpoint_name) == UpdatePlan()


def test_instance_type_changes_and_removals_of_registered_variants_suspend_scaling(
    autoscaled, state
):
    # Given an endpoint whose variants A (registered) and B (registered) run ml.m5.large
    live = {"AllTraffic": "ml.m5.large", "B": "ml.m5.large", "C": "ml.m5.large"}
    registered = {"AllTraffic", "B"}
    new = copy.deepcopy(autoscaled)
    new["ProductionVariants"][0]["InstanceType"] = "ml.c5.xlarge"
    new["ProductionVariants"].append({"VariantName": "C", "InstanceType": "ml.m5.large"})

    # When the new config changes AllTraffic's type, drops B and keeps C
    suspended = variants_to_suspend(live, registered, state(new).config)

    # Then only the registered variants SageMaker would refuse to touch are suspended
    assert suspended == ["AllTraffic", "B"]


def test_a_model_only_change_suspends_nothing(autoscaled, state):
    new = copy.deepcopy(autoscaled)
    new["PrimaryContainer"]["ModelDataUrl"] = "s3://bucket/v2/model.tar.gz"
    live = {"AllTraffic": "ml.m5.large"}
    assert variants_to_suspend(live, {"AllTraffic"}, state(new).config) == []


def test_target_tracking_on_invocations(autoscaled, state):
    # When the scaling requests are built
    desired = state(autoscaled)
    scaling = desired.scaling[0]
    target = scaling_requests.scalable_target(scaling)
    policy = scaling_requests.tracking_policy(scaling)

    # Then they address the variant's instance count with the user's settings, unsuspended
    assert target["ResourceId"] == f"endpoint/{desired.endpoint_name}/variant/AllTraffic"
    assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    assert not any(target["SuspendedState"].values())
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == 70
    assert configuration["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
    }
    assert configuration["ScaleInCooldown"] == 600
    assert "ScaleOutCooldown" not in configuration
    assert scaling.from_zero is None
    # And the target carries the ownership tags, so IAM can tell it is the provider's
    assert target["Tags"] == desired.tags
    # And suspended, it neither scales in nor out
    assert all(scaling_requests.scalable_target(scaling, suspended=True)["SuspendedState"].values())


def test_scale_to_zero_tracks_backlog_and_scales_out_of_zero(autoscaled, state):
    # Given an async endpoint scaling between 0 and 3 on its backlog
    autoscaled["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": "s3://b/out/"}}
    autoscaled["ProductionVariants"][0]["AutoScaling"] = {
        "MinCapacity": "0",
        "MaxCapacity": "3",
        "TargetBacklogPerInstance": "5",
    }
    desired = state(autoscaled)
    scaling = desired.scaling[0]

    # When the requests are built
    assert scaling.from_zero is not None
    tracking = scaling_requests.tracking_policy(scaling)
    step = scaling_requests.from_zero_policy(scaling, scaling.from_zero)
    alarm = scaling_requests.from_zero_alarm(scaling, scaling.from_zero, "arn:policy")

    # Then tracking follows the backlog per instance of this endpoint
    metric = tracking["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    assert metric["MetricName"] == "ApproximateBacklogSizePerInstance"
    assert metric["Dimensions"] == [{"Name": "EndpointName", "Value": desired.endpoint_name}]
    # And a step policy, triggered by HasBacklogWithoutCapacity, adds the first instance
    assert step["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    ]
    assert alarm["MetricName"] == "HasBacklogWithoutCapacity"
    assert alarm["AlarmActions"] == ["arn:policy"]
    assert alarm["AlarmName"] == f"{desired.endpoint_name}-AllTraffic-has-backlog-without-capacity"
