"""Hosting modes, autoscaling and deployment policies: validated up front, every problem by path."""

from __future__ import annotations

import pytest

from endpoint_provider.endpoint.properties import parse_properties
from endpoint_provider.property_errors import InvalidProperties


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(InvalidProperties) as raised:
        parse_properties(raw)
    return raised.value.problems


@pytest.fixture
def autoscaled(endpoint_properties):
    endpoint_properties["ProductionVariants"][0]["InitialInstanceCount"] = "2"
    endpoint_properties["ProductionVariants"][0]["AutoScaling"] = {
        "MinCapacity": "1",
        "MaxCapacity": "4",
        "TargetInvocationsPerInstance": "70",
    }
    return endpoint_properties


@pytest.fixture
def serverless(endpoint_properties):
    endpoint_properties["ProductionVariants"] = [
        {"ServerlessConfig": {"MemorySizeInMB": "2048", "MaxConcurrency": "20"}}
    ]
    return endpoint_properties


@pytest.fixture
def asynchronous(endpoint_properties):
    endpoint_properties["AsyncInferenceConfig"] = {
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": "4"},
        "OutputConfig": {
            "S3OutputPath": "s3://bucket/async/out/",
            "S3FailurePath": "s3://bucket/async/failed/",
            "NotificationConfig": {"SuccessTopic": "arn:aws:sns:us-east-1:123456789012:ok"},
        },
    }
    return endpoint_properties


def test_serverless_config_is_coerced(serverless):
    variant = parse_properties(serverless).ProductionVariants[0]
    assert variant.ServerlessConfig.MemorySizeInMB == 2048
    assert variant.is_serverless


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"MemorySizeInMB": "0", "MaxConcurrency": "1"}, "MemorySizeInMB: must be >= 1024"),
        (
            {"MemorySizeInMB": "1500", "MaxConcurrency": "1"},
            "MemorySizeInMB: must be a multiple of 1024",
        ),
        ({"MemorySizeInMB": "7168", "MaxConcurrency": "1"}, "MemorySizeInMB: must be <= 6144"),
        ({"MemorySizeInMB": "1024", "MaxConcurrency": "201"}, "MaxConcurrency: must be <= 200"),
        (
            {"MemorySizeInMB": "1024", "MaxConcurrency": "5", "ProvisionedConcurrency": "6"},
            "ProvisionedConcurrency: must be <= MaxConcurrency (5)",
        ),
    ],
)
def test_serverless_limits(serverless, config, problem):
    serverless["ProductionVariants"][0]["ServerlessConfig"] = config
    assert problems_of(serverless) == [f"ProductionVariants[0].ServerlessConfig.{problem}"]


def test_a_variant_is_instance_based_or_serverless(endpoint_properties):
    # Given a variant with both
    del endpoint_properties["ProductionVariants"][0]["InitialInstanceCount"]
    endpoint_properties["ProductionVariants"][0]["ServerlessConfig"] = {
        "MemorySizeInMB": "1024",
        "MaxConcurrency": "1",
    }
    # Then it is refused
    assert problems_of(endpoint_properties) == [
        "ProductionVariants[0].InstanceType: give exactly one of InstanceType and ServerlessConfig"
    ]


def test_serverless_and_instance_variants_are_not_mixed(serverless):
    serverless["ProductionVariants"].append({"VariantName": "B", "InstanceType": "ml.m5.large"})
    assert problems_of(serverless) == [
        "ProductionVariants: serverless and instance variants cannot be mixed"
    ]


def test_autoscaling_is_coerced(autoscaled):
    scaling = parse_properties(autoscaled).ProductionVariants[0].AutoScaling
    assert (scaling.MinCapacity, scaling.MaxCapacity, scaling.TargetInvocationsPerInstance) == (
        1,
        4,
        70.0,
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            {"InitialInstanceCount": "5"},
            "ProductionVariants[0].InitialInstanceCount: 5 must lie within AutoScaling's "
            "MinCapacity 1 and MaxCapacity 4",
        ),
        (
            {"InstanceType": "ml.t2.medium"},
            "ProductionVariants[0].AutoScaling: not supported on burstable ml.t2.medium instances",
        ),
    ],
)
def test_autoscaling_rules(autoscaled, change, problem):
    autoscaled["ProductionVariants"][0].update(change)
    assert problems_of(autoscaled) == [problem]


def test_min_capacity_above_max_is_refused(autoscaled):
    autoscaled["ProductionVariants"][0]["AutoScaling"]["MinCapacity"] = "5"
    assert (
        "ProductionVariants[0].AutoScaling.MinCapacity: must be <= MaxCapacity (4)"
        in problems_of(autoscaled)
    )


def test_autoscaling_needs_exactly_one_target(autoscaled):
    autoscaled["ProductionVariants"][0]["AutoScaling"]["TargetValue"] = "5"
    assert problems_of(autoscaled) == [
        "ProductionVariants[0].AutoScaling: give one target: TargetInvocationsPerInstance, "
        "TargetBacklogPerInstance, or TargetValue with a metric"
    ]


def test_a_general_target_needs_one_metric(autoscaled):
    scaling = autoscaled["ProductionVariants"][0]["AutoScaling"]
    del scaling["TargetInvocationsPerInstance"]
    scaling["TargetValue"] = "60"
    assert problems_of(autoscaled) == [
        "ProductionVariants[0].AutoScaling.TargetValue: needs exactly one of "
        "PredefinedMetricType and CustomizedMetricSpecification"
    ]
    scaling["PredefinedMetricType"] = "SageMakerVariantInvocationsPerInstance"
    assert parse_properties(autoscaled)


def test_no_autoscaling_on_serverless(serverless):
    serverless["ProductionVariants"][0]["AutoScaling"] = {
        "MinCapacity": "1",
        "MaxCapacity": "2",
        "TargetInvocationsPerInstance": "10",
    }
    assert problems_of(serverless) == [
        "ProductionVariants[0].AutoScaling: not supported on serverless variants"
    ]


def test_scale_to_zero_needs_an_async_endpoint(autoscaled):
    scaling = autoscaled["ProductionVariants"][0]["AutoScaling"]
    scaling["MinCapacity"] = "0"
    assert problems_of(autoscaled) == [
        "ProductionVariants[0].AutoScaling.MinCapacity: "
        "0 (scale to zero) needs AsyncInferenceConfig"
    ]


def test_async_endpoints_scale_to_zero_on_backlog(asynchronous):
    # Given an async endpoint that may scale to zero on its backlog
    asynchronous["ProductionVariants"][0]["AutoScaling"] = {
        "MinCapacity": "0",
        "MaxCapacity": "3",
        "TargetBacklogPerInstance": "5",
    }

    # When parsed, Then it is accepted with typed values
    properties = parse_properties(asynchronous)
    assert (
        properties.AsyncInferenceConfig["ClientConfig"]["MaxConcurrentInvocationsPerInstance"] == 4
    )
    assert properties.ProductionVariants[0].AutoScaling.MinCapacity == 0


def test_async_is_not_combined_with_serverless(serverless, asynchronous):
    serverless["AsyncInferenceConfig"] = asynchronous["AsyncInferenceConfig"]
    assert problems_of(serverless) == [
        "AsyncInferenceConfig: not supported with serverless variants"
    ]


def blue_green(routing: dict, timeout: str = "1200") -> dict:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": routing,
            "MaximumExecutionTimeoutInSeconds": timeout,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "churn-5xx"}]},
    }


def test_a_canary_deployment_is_accepted(endpoint_properties):
    endpoint_properties["DeploymentConfig"] = blue_green(
        {
            "Type": "CANARY",
            "WaitIntervalInSeconds": "300",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": "10"},
        }
    )
    config = parse_properties(endpoint_properties).DeploymentConfig
    assert config.alarm_names == ["churn-5xx"]
    assert config.maximum_execution_seconds == 1200


@pytest.mark.parametrize(
    ("routing", "problem"),
    [
        ({"Type": "CANARY"}, "CanarySize: required for this Type"),
        (
            {"Type": "CANARY", "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": "60"}},
            "CanarySize.Value: must be 1-50 percent",
        ),
        (
            {"Type": "LINEAR", "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": "5"}},
            "LinearStepSize.Value: must be 10-50 percent",
        ),
        ({"Type": "GRADUAL"}, "Type: must be one of ALL_AT_ONCE, CANARY, LINEAR, got 'GRADUAL'"),
    ],
)
def test_traffic_routing_rules(endpoint_properties, routing, problem):
    endpoint_properties["DeploymentConfig"] = blue_green({**routing, "WaitIntervalInSeconds": "60"})
    assert problems_of(endpoint_properties) == [
        f"DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration.{problem}"
    ]


def test_a_deployment_must_fit_in_service_timeout(endpoint_properties):
    endpoint_properties["ServiceTimeout"] = "1800"
    endpoint_properties["DeploymentConfig"] = blue_green(
        {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": "0"}, timeout="3600"
    )
    assert problems_of(endpoint_properties) == [
        "DeploymentConfig: MaximumExecutionTimeoutInSeconds 3600 exceeds ServiceTimeout 1800: "
        "CloudFormation would stop waiting first"
    ]


def test_variants_bring_their_own_model_or_name_an_existing_one(endpoint_properties):
    endpoint_properties["ProductionVariants"] = [
        {"VariantName": "A", "InstanceType": "ml.m5.large"},
        {"VariantName": "B", "InstanceType": "ml.m5.large", "Containers": [{"Image": "img-b"}]},
        {"VariantName": "C", "InstanceType": "ml.m5.large", "ModelName": "registry-model"},
    ]
    variants = parse_properties(endpoint_properties).ProductionVariants
    assert [v.VariantName for v in variants] == ["A", "B", "C"]

    endpoint_properties["ProductionVariants"][2]["Containers"] = [{"Image": "x"}]
    assert problems_of(endpoint_properties) == [
        "ProductionVariants[2].ModelName: give Containers or ModelName, not both"
    ]


def test_shadow_variant_names_must_differ_from_production_ones(endpoint_properties):
    endpoint_properties["ShadowProductionVariants"] = [{"InstanceType": "ml.m5.large"}]
    assert problems_of(endpoint_properties) == [
        "ProductionVariants: duplicate VariantName 'AllTraffic'"
    ]


def test_data_capture_uses_the_native_shape(endpoint_properties):
    endpoint_properties["DataCaptureConfig"] = {
        "InitialSamplingPercentage": "20",
        "DestinationS3Uri": "s3://bucket/capture/",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    capture = parse_properties(endpoint_properties).DataCaptureConfig
    assert capture["InitialSamplingPercentage"] == 20
