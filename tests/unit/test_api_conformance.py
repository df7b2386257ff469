"""Properties follow SageMaker's API as botocore's model states it: what SageMaker accepts is
accepted (and delivered), what it refuses is reported up front, by property path."""

from __future__ import annotations

import copy

import pytest
from botocore.exceptions import ClientError

from endpoint_provider.endpoint.lifecycle import EndpointLifecycle
from endpoint_provider.endpoint.properties import parse_properties
from endpoint_provider.endpoint.requests import checked
from endpoint_provider.property_errors import InvalidProperties
from endpoint_provider.request import Budget, Failed, ResourceRequest
from endpoint_provider.sagemaker_gateway import SageMakerGateway
from endpoint_provider.scaling_gateway import ScalingGateway
from endpoint_provider.settings import ProviderSettings
from tests.unit.stack_resource import DEFAULT_ROLE, STACK_ID


def problems_of(raw: object) -> list[str]:
    with pytest.raises(InvalidProperties) as raised:
        parse_properties(raw)
    return raised.value.problems


def variant(endpoint_properties: dict) -> dict:
    return endpoint_properties["ProductionVariants"][0]


@pytest.fixture
def asynchronous(endpoint_properties):
    endpoint_properties["AsyncInferenceConfig"] = {
        "OutputConfig": {
            "S3OutputPath": "s3://bucket/out/",
            "NotificationConfig": {
                "SuccessTopic": "arn:aws:sns:us-east-1:123456789012:ok",
                "IncludeInferenceResponseIn": ["SUCCESS_NOTIFICATION_TOPIC"],
            },
        }
    }
    return endpoint_properties


def test_async_responses_go_to_the_topics_sagemaker_names(asynchronous, state):
    # Given the values SageMaker documents for IncludeInferenceResponseIn
    # When built, Then they reach CreateEndpointConfig
    config = state(asynchronous).config.request
    notification = config["AsyncInferenceConfig"]["OutputConfig"]["NotificationConfig"]
    assert notification["IncludeInferenceResponseIn"] == ["SUCCESS_NOTIFICATION_TOPIC"]

    # And the values SageMaker refuses are reported
    notification = asynchronous["AsyncInferenceConfig"]["OutputConfig"]["NotificationConfig"]
    notification["IncludeInferenceResponseIn"] = ["SNS_TOPIC"]
    [problem] = problems_of(asynchronous)
    assert problem.startswith(
        "AsyncInferenceConfig.OutputConfig.NotificationConfig.IncludeInferenceResponseIn[0]: "
        "must be one of SUCCESS_NOTIFICATION_TOPIC, ERROR_NOTIFICATION_TOPIC"
    )


@pytest.mark.parametrize("instance_type", ["ml.p6-b200.48xlarge", "ml.p6e-gb200.36xlarge"])
def test_hyphenated_instance_types_are_accepted(endpoint_properties, state, instance_type):
    variant(endpoint_properties)["InstanceType"] = instance_type
    config = state(endpoint_properties).config.request
    assert config["ProductionVariants"][0]["InstanceType"] == instance_type


def test_tags_fill_sagemakers_fifty_less_the_ownership_tags(endpoint_properties, state):
    # Given 47 tags (SageMaker allows 50; the provider adds 3 of its own)
    endpoint_properties["Tags"] = [{"Key": f"k{n}", "Value": "v"} for n in range(47)]

    # Then they are accepted and every resource carries all 50
    desired = state(endpoint_properties)
    assert len(desired.tags) == 50

    # And a 48th is reported, since SageMaker would refuse the 51st
    endpoint_properties["Tags"].append({"Key": "k47", "Value": "v"})
    assert problems_of(endpoint_properties) == ["Tags: allows at most 47 item(s)"]


def test_data_capture_takes_up_to_32_capture_options(endpoint_properties, state):
    endpoint_properties["DataCaptureConfig"] = {
        "InitialSamplingPercentage": "20",
        "DestinationS3Uri": "https://bucket.s3.amazonaws.com/capture/",
        "CaptureOptions": [{"CaptureMode": "Input"}] * 32,
    }
    config = state(endpoint_properties).config.request
    assert len(config["DataCaptureConfig"]["CaptureOptions"]) == 32
    assert config["DataCaptureConfig"]["DestinationS3Uri"].startswith("https://")

    endpoint_properties["DataCaptureConfig"]["CaptureOptions"].append({"CaptureMode": "Output"})
    assert problems_of(endpoint_properties) == [
        "DataCaptureConfig.CaptureOptions: allows at most 32 item(s)"
    ]


def test_environment_may_be_a_json_string_and_follows_sagemakers_limits(endpoint_properties, state):
    # Given an Environment as CloudFormation's Json type may deliver it
    endpoint_properties["PrimaryContainer"]["Environment"] = '{"SAGEMAKER_PROGRAM": "serve.py"}'

    # Then the model receives the map
    model = state(endpoint_properties).models[0].request
    assert model["PrimaryContainer"]["Environment"] == {"SAGEMAKER_PROGRAM": "serve.py"}

    # And names and values SageMaker refuses are reported with their key
    endpoint_properties["PrimaryContainer"]["Environment"] = {"1-BAD": "x", "OK": "v" * 1025}
    assert problems_of(endpoint_properties) == [
        "PrimaryContainer.Environment.1-BAD (the name): must match [a-zA-Z_][a-zA-Z0-9_]*, "
        "got '1-BAD'",
        "PrimaryContainer.Environment.OK: must be at most 1024 characters",
    ]


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("InitialInstanceCount", "4294967296", "must be <= 2147483647"),
        ("InitialVariantWeight", "inf", "must be a finite number, got 'inf'"),
        ("InitialVariantWeight", "1e400", "must be a finite number, got '1e400'"),
        ("VolumeSizeInGB", "513", "must be <= 512"),
    ],
)
def test_numbers_beyond_what_sagemaker_takes_are_reported(
    endpoint_properties, field, value, problem
):
    variant(endpoint_properties)[field] = value
    assert problems_of(endpoint_properties) == [f"ProductionVariants[0].{field}: {problem}"]


def test_lengths_and_patterns_are_sagemakers(endpoint_properties):
    endpoint_properties["PrimaryContainer"]["Image"] = "a" * 256
    endpoint_properties["PrimaryContainer"]["ModelDataUrl"] = "ftp://bucket/model.tar.gz"
    problems = problems_of(endpoint_properties)
    assert problems[0] == "PrimaryContainer.Image: must be at most 255 characters"
    assert problems[1].startswith("PrimaryContainer.ModelDataUrl: must match")
    assert len(problems) == 2


def test_blue_green_without_wait_interval_is_reported_before_any_change(endpoint_properties):
    # Given blue/green routing without WaitIntervalInSeconds, which UpdateEndpoint requires
    endpoint_properties["DeploymentConfig"] = {
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}
    }

    # When parsed, Then it is reported with its path
    assert problems_of(endpoint_properties) == [
        "DeploymentConfig.BlueGreenUpdatePolicy.TrafficRoutingConfiguration."
        "WaitIntervalInSeconds: required"
    ]


def test_the_endpoint_configs_own_role_network_and_vpc_reach_the_config(endpoint_properties, state):
    # Given the native EndpointConfig's ExecutionRoleArn, VpcConfig and EnableNetworkIsolation
    role = "arn:aws:iam::123456789012:role/config-role"
    vpc = {"SecurityGroupIds": ["sg-0123456789abcdef0"], "Subnets": ["subnet-0123456789abcdef0"]}
    endpoint_properties.update(
        {
            "EndpointConfigExecutionRoleArn": role,
            "EndpointConfigVpcConfig": vpc,
            "EndpointConfigEnableNetworkIsolation": "true",
        }
    )

    # When built
    desired = state(endpoint_properties)

    # Then they land on CreateEndpointConfig under SageMaker's names, not on the model
    config = desired.config.request
    assert (config["ExecutionRoleArn"], config["VpcConfig"]) == (role, vpc)
    assert config["EnableNetworkIsolation"] is True
    model = desired.models[0].request
    assert model["ExecutionRoleArn"] == DEFAULT_ROLE
    assert "VpcConfig" not in model and model["EnableNetworkIsolation"] is False


def test_api_fields_newer_than_the_native_schemas_are_delivered(endpoint_properties, state):
    # Given members botocore knows and CloudFormation's schemas do not yet
    endpoint_properties["PrimaryContainer"]["AdditionalModelDataSources"] = [
        {
            "ChannelName": "draft",
            "S3DataSource": {
                "S3Uri": "s3://bucket/draft/",
                "S3DataType": "S3Prefix",
                "CompressionType": "None",
            },
        }
    ]
    endpoint_properties["CrossRegionTrafficConfig"] = {
        "MaxInvocationsPerSecondPerInstance": "50",
        "MaxCrossRegionPercentPerEndpoint": "20",
    }

    # When built, Then they reach CreateModel and CreateEndpointConfig, typed
    desired = state(endpoint_properties)
    container = desired.models[0].request["PrimaryContainer"]
    assert container["AdditionalModelDataSources"][0]["ChannelName"] == "draft"
    cap = desired.config.request["CrossRegionTrafficConfig"]
    assert cap["MaxCrossRegionPercentPerEndpoint"] == 20


def test_a_container_no_variant_serves_is_an_error(endpoint_properties):
    # Given every variant naming an existing model while the resource has a container
    variant(endpoint_properties)["ModelName"] = "registry-model"

    # When parsed, Then the unused container is reported instead of silently dropped
    [problem] = problems_of(endpoint_properties)
    assert problem.startswith("PrimaryContainer: no variant serves it")


def test_a_native_model_name_is_the_alias_variants_use_for_the_resources_model(
    endpoint_properties, state
):
    # Given a merged native template: the Model's ModelName, and a variant naming it
    endpoint_properties["ModelName"] = "churn-model"
    endpoint_properties["EndpointConfigName"] = "churn-config"
    variant(endpoint_properties)["ModelName"] = "churn-model"

    # When built
    desired = state(endpoint_properties)

    # Then the variant serves the resource's own model, named from its content
    [model] = desired.models
    assert desired.config.request["ProductionVariants"][0]["ModelName"] == model.name
    assert model.name != "churn-model" and desired.config.name != "churn-config"


def test_requests_the_provider_adds_are_checked_before_any_change(endpoint_properties, state):
    # Given AutoScaling whose MaxCapacity Application Auto Scaling cannot hold (32 bits)
    variant(endpoint_properties)["AutoScaling"] = {
        "MinCapacity": "1",
        "MaxCapacity": str(2**31),
        "TargetInvocationsPerInstance": "100",
    }

    # When the requests are checked, Then the variant's AutoScaling is named
    with pytest.raises(InvalidProperties) as raised:
        checked(state(endpoint_properties))
    assert raised.value.problems == [
        "ProductionVariants[0].AutoScaling: RegisterScalableTarget MaxCapacity: "
        "must be <= 2147483647"
    ]


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (None, "ResourceProperties: must be a map of properties, got null"),
        ([], "ResourceProperties: must be a map of properties, got list"),
        ("x", "ResourceProperties: must be a map of properties, got str"),
    ],
)
def test_properties_that_are_not_a_map_are_reported(raw, problem):
    assert problems_of(raw) == [problem]


def test_hostile_values_are_reported_by_path_not_raised(endpoint_properties):
    # Given names given as maps, an infinite ServiceTimeout and an empty property name
    endpoint_properties["ProductionVariants"] = [
        {"VariantName": {"a": 1}, "InstanceType": "ml.m5.large"},
        {"VariantName": {"a": 1}, "InstanceType": "ml.m5.large"},
    ]
    endpoint_properties["Tags"] = [{"Key": {}, "Value": "v"}, {"Key": {}, "Value": "v"}]
    endpoint_properties["ServiceTimeout"] = float("inf")
    endpoint_properties[""] = "x"

    # When parsed, Then each is a problem at its path
    assert problems_of(endpoint_properties) == [
        "ServiceTimeout: must be an integer, got inf",
        "ProductionVariants[0].VariantName: must be a string, got {'a': 1}",
        "ProductionVariants[1].VariantName: must be a string, got {'a': 1}",
        "Tags[0].Key: must be a string, got {}",
        "Tags[1].Key: must be a string, got {}",
        "ResourceProperties: unknown property '' (an empty name)",
    ]


class RecordingClient:
    """Every AWS client at once: records each call, and refuses it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __getattr__(self, operation: str):
        def call(**kwargs):
            self.calls.append(operation)
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, operation)

        return call


def test_an_update_botocore_would_refuse_fails_before_anything_changes(endpoint_properties):
    # Given an Update to blue/green without WaitIntervalInSeconds, which used to create the new
    # model and config and deregister scaling before UpdateEndpoint was refused
    new = copy.deepcopy(endpoint_properties)
    new["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-churn-models/churn/v2/model.tar.gz"
    new["DeploymentConfig"] = {
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE"}}
    }
    client = RecordingClient()
    provisioner = EndpointLifecycle.provisioner(
        SageMakerGateway(client),
        ScalingGateway(client, client),
        ProviderSettings(DEFAULT_EXECUTION_ROLE_ARN=DEFAULT_ROLE),
        clock=lambda: 0.0,
        sleep=lambda seconds: None,
    )
    request = ResourceRequest(
        "Update",
        STACK_ID,
        "Endpoint",
        new,
        old_properties=endpoint_properties,
        physical_id="arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn",
    )

    # When the provider handles it
    outcome = provisioner.handle(request, provisioner.start(request), Budget(lambda: 900.0, 60))

    # Then it fails naming the property, and made no call at all
    assert isinstance(outcome, Failed)
    assert "TrafficRoutingConfiguration.WaitIntervalInSeconds: required" in outcome.reason
    assert client.calls == []
