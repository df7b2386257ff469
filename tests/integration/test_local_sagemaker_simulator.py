"""The local SageMaker simulator behaves like SageMaker for the calls the provider makes.

Every test talks to one LocalAws server through real boto3 clients, as the provider does.
"""

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from localaws.sagemaker import SageMakerSimulator, SimulatorSettings
from localaws.server import LocalAws

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/sagemaker-execution"
IMAGE = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/churn:1"
FAILING_IMAGE = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/churn:fail"
TRANSITION_SECONDS = 0.2
# Long enough that a test's next calls surely land before the status changes.
SLOW_SECONDS = 30.0
FAST_WAIT = {"Delay": 0.05, "MaxAttempts": 100}
HEALTH_CHECK_FAILURE = (
    "The primary container for production variant AllTraffic did not pass the ping health "
    "check. Please check CloudWatch logs for this endpoint."
)


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAws]:
    with LocalAws() as aws:
        yield aws


@pytest.fixture(autouse=True)
def simulator(local_aws: LocalAws) -> SageMakerSimulator:
    local_aws.reset()
    local_aws.simulator.settings = SimulatorSettings(
        create_seconds=TRANSITION_SECONDS,
        update_seconds=TRANSITION_SECONDS,
        delete_seconds=TRANSITION_SECONDS,
    )
    return local_aws.simulator


class _Clock:
    """A clock for the simulator's settings that moves only when the test moves it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(simulator: SageMakerSimulator) -> _Clock:
    """Default durations, on a clock the test moves, so that timings are exact and instant."""
    clock = _Clock()
    simulator.settings = SimulatorSettings(clock=clock)
    return clock


@pytest.fixture
def sagemaker(local_aws: LocalAws) -> BaseClient:
    return _client(local_aws, "sagemaker")


def _client(local_aws: LocalAws, service: str, config: Config | None = None) -> BaseClient:
    return boto3.client(
        service,
        endpoint_url=local_aws.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


def _create_model(sagemaker: BaseClient, name: str, image: str = IMAGE) -> None:
    sagemaker.create_model(
        ModelName=name, ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": image}
    )


def _create_config(sagemaker: BaseClient, name: str, model_name: str, **variant: Any) -> None:
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model_name,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                **variant,
            }
        ],
    )


def _create_config_with_model(
    sagemaker: BaseClient, name: str, image: str = IMAGE, **variant: Any
) -> None:
    _create_model(sagemaker, f"{name}-model", image)
    _create_config(sagemaker, name, f"{name}-model", **variant)


def _in_service_endpoint(
    sagemaker: BaseClient, name: str, config_name: str, **variant: Any
) -> None:
    _create_config_with_model(sagemaker, config_name, **variant)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name)
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST_WAIT)


def _in_service_on_clock(
    sagemaker: BaseClient, clock: _Clock, name: str, config_name: str, **variant: Any
) -> None:
    _create_config_with_model(sagemaker, config_name, **variant)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name)
    clock.advance(SimulatorSettings.create_seconds)
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"


def _wait_while(sagemaker: BaseClient, name: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        endpoint = sagemaker.describe_endpoint(EndpointName=name)
        if endpoint["EndpointStatus"] != status or time.monotonic() > deadline:
            return endpoint
        time.sleep(0.05)


def _error(raised: pytest.ExceptionInfo[ClientError]) -> dict[str, str]:
    return raised.value.response["Error"]


def _arn(resource_type: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:{resource_type}/{name}"


def test_new_endpoint_is_creating_then_in_service(sagemaker: BaseClient) -> None:
    # Given an endpoint configuration whose model's image starts fine
    _create_config_with_model(sagemaker, "churn-config")

    # When the endpoint is created
    arn = sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")

    # Then it is Creating at first, and InService on that configuration afterwards
    assert arn["EndpointArn"] == _arn("endpoint", "churn")
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "Creating"
    endpoint = _wait_while(sagemaker, "churn", "Creating")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == "churn-config"
    assert "FailureReason" not in endpoint
    assert endpoint["LastModifiedTime"] > endpoint["CreationTime"]
    listed = sagemaker.list_endpoints()["Endpoints"]
    assert [(e["EndpointName"], e["EndpointStatus"]) for e in listed] == [("churn", "InService")]


@pytest.mark.parametrize(
    "containers",
    [
        {"PrimaryContainer": {"Image": FAILING_IMAGE}},
        {"Containers": [{"Image": IMAGE}, {"Image": FAILING_IMAGE}]},
    ],
    ids=["primary-container", "inference-pipeline"],
)
def test_endpoint_whose_image_fails_its_health_check_fails(
    sagemaker: BaseClient, containers: dict[str, Any]
) -> None:
    # Given a model with a container whose image never passes the ping health check
    sagemaker.create_model(ModelName="broken", ExecutionRoleArn=ROLE_ARN, **containers)
    _create_config(sagemaker, "broken-config", "broken")

    # When an endpoint is created on it
    sagemaker.create_endpoint(EndpointName="broken", EndpointConfigName="broken-config")

    # Then it ends Failed with SageMaker's reason, and the botocore waiter gives up on it
    with pytest.raises(WaiterError):
        sagemaker.get_waiter("endpoint_in_service").wait(
            EndpointName="broken", WaiterConfig=FAST_WAIT
        )
    endpoint = sagemaker.describe_endpoint(EndpointName="broken")
    assert endpoint["EndpointStatus"] == "Failed"
    assert endpoint["FailureReason"] == HEALTH_CHECK_FAILURE


def test_creating_a_model_twice_is_rejected(sagemaker: BaseClient) -> None:
    # Given a model
    _create_model(sagemaker, "churn-model")

    # When a model of the same name is created
    with pytest.raises(ClientError) as raised:
        _create_model(sagemaker, "churn-model", image=f"{IMAGE}-other")

    # Then SageMaker refuses, and the first model is untouched
    assert _error(raised)["Code"] == "ValidationException"
    assert _error(raised)["Message"] == (
        f'Cannot create already existing model "{_arn("model", "churn-model")}".'
    )
    model = sagemaker.describe_model(ModelName="churn-model")
    assert model["PrimaryContainer"]["Image"] == IMAGE


def test_creating_an_endpoint_configuration_twice_is_rejected(sagemaker: BaseClient) -> None:
    # Given an endpoint configuration
    _create_config_with_model(sagemaker, "churn-config")

    # When one of the same name is created
    with pytest.raises(ClientError) as raised:
        _create_config(sagemaker, "churn-config", "churn-config-model")

    # Then SageMaker refuses
    assert _error(raised)["Code"] == "ValidationException"
    assert _error(raised)["Message"] == (
        "Cannot create already existing endpoint configuration "
        f'"{_arn("endpoint-config", "churn-config")}".'
    )


def test_creating_an_endpoint_twice_is_rejected(sagemaker: BaseClient) -> None:
    # Given an endpoint that is still being created
    _create_config_with_model(sagemaker, "churn-config")
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")

    # When an endpoint of the same name is created
    with pytest.raises(ClientError) as raised:
        sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")

    # Then SageMaker refuses
    assert _error(raised)["Code"] == "ValidationException"
    assert _error(raised)["Message"] == (
        f'Cannot create already existing endpoint "{_arn("endpoint", "churn")}".'
    )


def test_references_to_missing_resources_are_rejected(sagemaker: BaseClient) -> None:
    # Given nothing at all

    # When an endpoint names a missing configuration, or a configuration a missing model
    with pytest.raises(ClientError) as missing_config:
        sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="nowhere")
    with pytest.raises(ClientError) as missing_model:
        _create_config(sagemaker, "churn-config", "nowhere")

    # Then both are ValidationExceptions naming what is missing
    assert _error(missing_config) == {
        "Code": "ValidationException",
        "Message": 'Could not find endpoint configuration "nowhere".',
    }
    assert _error(missing_model)["Code"] == "ValidationException"
    assert _error(missing_model)["Message"].startswith("Could not find model")
    assert sagemaker.list_endpoints()["Endpoints"] == []


def test_describing_a_missing_endpoint_is_a_validation_exception(sagemaker: BaseClient) -> None:
    # Given no endpoint named "nowhere"

    # When it is described
    with pytest.raises(ClientError) as raised:
        sagemaker.describe_endpoint(EndpointName="nowhere")

    # Then the error is the one botocore's EndpointDeleted waiter treats as "gone"
    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": 'Could not find endpoint "nowhere".',
    }


def test_update_moves_the_endpoint_to_the_new_configuration(
    sagemaker: BaseClient, simulator: SageMakerSimulator
) -> None:
    # Given an InService endpoint and a second configuration
    _in_service_endpoint(sagemaker, "churn", "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2")

    # When the endpoint is updated to the second configuration
    response = sagemaker.update_endpoint(
        EndpointName="churn",
        EndpointConfigName="churn-v2",
        RetainAllVariantProperties=True,
        ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredInstanceCount"}],
        DeploymentConfig={
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
            }
        },
    )

    # Then it is Updating on the old configuration with the new one pending, then InService on it
    assert response["EndpointArn"] == _arn("endpoint", "churn")
    updating = sagemaker.describe_endpoint(EndpointName="churn")
    assert updating["EndpointStatus"] == "Updating"
    assert updating["EndpointConfigName"] == "churn-v1"
    assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == "churn-v2"
    updated = _wait_while(sagemaker, "churn", "Updating")
    assert updated["EndpointStatus"] == "InService"
    assert updated["EndpointConfigName"] == "churn-v2"
    assert "FailureReason" not in updated
    assert "PendingDeploymentSummary" not in updated
    [update] = simulator.calls_to("UpdateEndpoint")
    assert update.params["RetainAllVariantProperties"] is True
    assert update.params["DeploymentConfig"]["BlueGreenUpdatePolicy"]


def test_update_to_a_failing_image_rolls_back_to_the_old_configuration(
    sagemaker: BaseClient,
) -> None:
    # Given an InService endpoint and a configuration whose image fails its health check
    _in_service_endpoint(sagemaker, "churn", "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2", image=FAILING_IMAGE)

    # When the endpoint is updated to it
    sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")

    # Then it is back InService on the old configuration, saying why the update failed
    endpoint = _wait_while(sagemaker, "churn", "Updating")
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == "churn-v1"
    assert endpoint["FailureReason"] == f"Failed to update endpoint: {HEALTH_CHECK_FAILURE}"

    # And a later good update clears the reason
    _create_config_with_model(sagemaker, "churn-v3")
    sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v3")
    endpoint = _wait_while(sagemaker, "churn", "Updating")
    assert endpoint["EndpointConfigName"] == "churn-v3"
    assert "FailureReason" not in endpoint


@pytest.mark.parametrize("in_progress", ["Creating", "Updating"])
def test_update_and_delete_are_refused_while_a_change_is_in_progress(
    sagemaker: BaseClient, simulator: SageMakerSimulator, in_progress: str
) -> None:
    # Given an endpoint in the middle of a change
    simulator.settings.create_seconds = 0 if in_progress == "Updating" else SLOW_SECONDS
    simulator.settings.update_seconds = SLOW_SECONDS
    _create_config_with_model(sagemaker, "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2")
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-v1")
    if in_progress == "Updating":
        sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == in_progress

    # When it is updated or deleted
    with pytest.raises(ClientError) as update:
        sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    with pytest.raises(ClientError) as delete:
        sagemaker.delete_endpoint(EndpointName="churn")

    # Then SageMaker refuses both, and the change carries on
    refusal = {
        "Code": "ValidationException",
        "Message": f'Cannot update in-progress endpoint "{_arn("endpoint", "churn")}".',
    }
    assert _error(update) == refusal
    assert _error(delete) == refusal
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == in_progress


def test_a_failed_endpoint_can_only_be_deleted(sagemaker: BaseClient) -> None:
    # Given an endpoint that failed to come up
    _create_config_with_model(sagemaker, "broken-v1", image=FAILING_IMAGE)
    _create_config_with_model(sagemaker, "churn-v2")
    sagemaker.create_endpoint(EndpointName="broken", EndpointConfigName="broken-v1")
    assert _wait_while(sagemaker, "broken", "Creating")["EndpointStatus"] == "Failed"

    # When it is updated, then deleted
    with pytest.raises(ClientError) as update:
        sagemaker.update_endpoint(EndpointName="broken", EndpointConfigName="churn-v2")
    sagemaker.delete_endpoint(EndpointName="broken")

    # Then the update is refused and the delete goes ahead
    assert _error(update)["Code"] == "ValidationException"
    assert "Failed status" in _error(update)["Message"]
    assert sagemaker.describe_endpoint(EndpointName="broken")["EndpointStatus"] == "Deleting"


def test_updates_naming_missing_things_are_rejected(sagemaker: BaseClient) -> None:
    # Given an InService endpoint
    _in_service_endpoint(sagemaker, "churn", "churn-v1")

    # When a missing endpoint, or a missing configuration, is named in an update
    with pytest.raises(ClientError) as missing_endpoint:
        sagemaker.update_endpoint(EndpointName="nowhere", EndpointConfigName="churn-v1")
    with pytest.raises(ClientError) as missing_config:
        sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="nowhere")

    # Then both are refused and the endpoint stays as it was
    assert _error(missing_endpoint)["Message"] == 'Could not find endpoint "nowhere".'
    assert _error(missing_config)["Message"] == 'Could not find endpoint configuration "nowhere".'
    endpoint = sagemaker.describe_endpoint(EndpointName="churn")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v1")


SERVERLESS_CONFIG = {
    "ProductionVariants": [
        {
            "VariantName": "AllTraffic",
            "ModelName": "churn-model",
            "ServerlessConfig": {
                "MemorySizeInMB": 2048,
                "MaxConcurrency": 5,
                "ProvisionedConcurrency": 1,
            },
        }
    ],
}
ASYNC_CONFIG = {
    "ProductionVariants": [
        {
            "VariantName": "AllTraffic",
            "ModelName": "churn-model",
            "InstanceType": "ml.g5.xlarge",
            "InitialInstanceCount": 2,
        }
    ],
    "ShadowProductionVariants": [
        {
            "VariantName": "Shadow",
            "ModelName": "churn-model",
            "InstanceType": "ml.m6i.large",
            "InitialInstanceCount": 1,
        }
    ],
    "AsyncInferenceConfig": {
        "ClientConfig": {"MaxConcurrentInvocationsPerInstance": 4},
        "OutputConfig": {
            "S3OutputPath": "s3://churn/async/out",
            "S3FailurePath": "s3://churn/async/failed",
            "KmsKeyId": "alias/churn-output",
            "NotificationConfig": {
                "SuccessTopic": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:churn-ok",
                "ErrorTopic": f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:churn-error",
                "IncludeInferenceResponseIn": ["SUCCESS_NOTIFICATION_TOPIC"],
            },
        },
    },
    "DataCaptureConfig": {
        "EnableCapture": True,
        "InitialSamplingPercentage": 20,
        "DestinationS3Uri": "s3://churn/capture",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    },
    "KmsKeyId": "alias/churn-volume",
}


@pytest.mark.parametrize(
    "config", [SERVERLESS_CONFIG, ASYNC_CONFIG], ids=["serverless", "async-with-shadow"]
)
def test_endpoint_configurations_describe_as_given(
    sagemaker: BaseClient, config: dict[str, Any]
) -> None:
    # Given a model
    _create_model(sagemaker, "churn-model")

    # When an endpoint configuration is created with everything the kind allows
    sagemaker.create_endpoint_config(EndpointConfigName="churn-config", **config)

    # Then DescribeEndpointConfig returns exactly that, and nothing nobody gave
    described = sagemaker.describe_endpoint_config(EndpointConfigName="churn-config")
    metadata = {"EndpointConfigName", "EndpointConfigArn", "CreationTime", "ResponseMetadata"}
    assert {key: value for key, value in described.items() if key not in metadata} == config


def test_an_endpoint_reports_its_async_config_and_shadow_variants(sagemaker: BaseClient) -> None:
    # Given an asynchronous endpoint configuration with a shadow variant
    _create_model(sagemaker, "churn-model")
    sagemaker.create_endpoint_config(EndpointConfigName="churn-config", **ASYNC_CONFIG)

    # When an endpoint is created on it
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")

    # Then DescribeEndpoint shows both, with each variant's instance count
    endpoint = sagemaker.describe_endpoint(EndpointName="churn")
    assert endpoint["AsyncInferenceConfig"] == ASYNC_CONFIG["AsyncInferenceConfig"]
    assert [
        (variant["VariantName"], variant["DesiredInstanceCount"])
        for variant in endpoint["ProductionVariants"] + endpoint["ShadowProductionVariants"]
    ] == [("AllTraffic", 2), ("Shadow", 1)]


def test_instance_types_of_the_api_are_accepted_and_other_names_are_not(
    sagemaker: BaseClient,
) -> None:
    # Given a model
    _create_model(sagemaker, "churn-model")

    # When configurations name newer instance types than moto knows (one with a hyphenated
    # family), and a type without "ml."
    _create_config(sagemaker, "churn-g5", "churn-model", InstanceType="ml.g5.12xlarge")
    _create_config(sagemaker, "churn-p6", "churn-model", InstanceType="ml.p6-b200.48xlarge")
    with pytest.raises(ClientError) as raised:
        _create_config(sagemaker, "churn-ec2", "churn-model", InstanceType="m5.large")

    # Then the first two are stored as given and the third refused, as botocore's enum says
    described = sagemaker.describe_endpoint_config(EndpointConfigName="churn-p6")
    assert described["ProductionVariants"][0]["InstanceType"] == "ml.p6-b200.48xlarge"
    error = _error(raised)
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith(
        "1 validation error(s) detected: ProductionVariants[0].InstanceType: must be one of"
    )
    assert sorted(
        c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
    ) == ["churn-g5", "churn-p6"]


def test_requests_botocore_lets_through_are_refused_as_sagemaker_would(
    sagemaker: BaseClient,
) -> None:
    # Given requests that pass botocore's client-side checks (types, required, minimums) but
    # break SageMaker's maximums and patterns: 51 tags, an image with a space, a name with "_"
    tags = [{"Key": f"k{n}", "Value": "v"} for n in range(51)]

    # When they are sent
    with pytest.raises(ClientError) as raised:
        sagemaker.create_model(
            ModelName="churn_model",
            ExecutionRoleArn=ROLE_ARN,
            PrimaryContainer={"Image": "not an image"},
            Tags=tags,
        )

    # Then SageMaker's answer names every violation at once, and nothing was created
    error = _error(raised)
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith("3 validation error(s) detected: ")
    for path in (
        "ModelName: must be letters",
        "PrimaryContainer.Image: must match",
        "Tags: allows",
    ):
        assert path in error["Message"]
    assert sagemaker.list_models()["Models"] == []


SCALABLE_TARGET = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": "endpoint/churn/variant/AllTraffic",
    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
}
SCALED_VARIANT_REFUSAL = (
    'The variant(s) "[AllTraffic]" must be deregistered as scalable targets with AWS Application'
    " Auto Scaling before they can be removed or have their instance type updated."
)


@pytest.mark.parametrize(
    "change",
    [{"InstanceType": "ml.g5.xlarge"}, {"VariantName": "Blue"}],
    ids=["instance-type", "variant-removed"],
)
def test_update_is_refused_while_a_changed_variant_is_a_scalable_target(
    local_aws: LocalAws,
    sagemaker: BaseClient,
    simulator: SageMakerSimulator,
    change: dict[str, str],
) -> None:
    # Given an InService endpoint whose variant is registered with Application Auto Scaling,
    # and a configuration that changes that variant's instance type or drops it
    autoscaling = _client(local_aws, "application-autoscaling")
    _in_service_endpoint(sagemaker, "churn", "churn-v1")
    autoscaling.register_scalable_target(**SCALABLE_TARGET, MinCapacity=1, MaxCapacity=4)
    _create_config_with_model(sagemaker, "churn-v2", **change)

    # When the endpoint is updated to it
    with pytest.raises(ClientError) as raised:
        sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")

    # Then SageMaker refuses, the endpoint stays put, and the log holds the refused call
    assert _error(raised) == {"Code": "ValidationException", "Message": SCALED_VARIANT_REFUSAL}
    endpoint = sagemaker.describe_endpoint(EndpointName="churn")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v1")
    assert len(simulator.calls_to("UpdateEndpoint")) == 1

    # And once the variant is deregistered, the same update goes ahead
    autoscaling.deregister_scalable_target(**SCALABLE_TARGET)
    sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    assert _wait_while(sagemaker, "churn", "Updating")["EndpointConfigName"] == "churn-v2"


def test_a_new_model_for_a_scalable_variant_is_allowed(
    local_aws: LocalAws, sagemaker: BaseClient
) -> None:
    # Given an InService endpoint whose variant is a scalable target, and a configuration that
    # changes only that variant's model
    autoscaling = _client(local_aws, "application-autoscaling")
    _in_service_endpoint(sagemaker, "churn", "churn-v1")
    autoscaling.register_scalable_target(**SCALABLE_TARGET, MinCapacity=1, MaxCapacity=4)
    _create_config_with_model(sagemaker, "churn-v2", image=f"{IMAGE}-retrained")

    # When the endpoint is updated to it
    sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")

    # Then the update goes through
    assert _wait_while(sagemaker, "churn", "Updating")["EndpointConfigName"] == "churn-v2"


def _instance_counts(sagemaker: BaseClient, name: str) -> tuple[int, int]:
    [variant] = sagemaker.describe_endpoint(EndpointName=name)["ProductionVariants"]
    return variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]


@pytest.mark.parametrize(
    ("retention", "expected_count"),
    [
        ({"RetainAllVariantProperties": True}, 5),
        (
            {
                "RetainAllVariantProperties": True,
                "ExcludeRetainedVariantProperties": [
                    {"VariantPropertyType": "DesiredInstanceCount"}
                ],
            },
            3,
        ),
        ({}, 3),
    ],
    ids=["retained", "retained-but-excluded", "not-retained"],
)
def test_an_update_keeps_the_scaled_instance_count_only_when_retaining_it(
    sagemaker: BaseClient, clock: _Clock, retention: dict[str, Any], expected_count: int
) -> None:
    # Given an endpoint created with 2 instances that the autoscaler then scaled out to 5
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1", InitialInstanceCount=2)
    assert _instance_counts(sagemaker, "churn") == (2, 2)
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="churn",
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 5}],
    )
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "Updating"
    assert _instance_counts(sagemaker, "churn") == (2, 5)
    clock.advance(SimulatorSettings.update_seconds)
    assert _instance_counts(sagemaker, "churn") == (5, 5)

    # When it is updated to a configuration with 3 instances, retaining variant properties or not
    _create_config_with_model(sagemaker, "churn-v2", InitialInstanceCount=3)
    sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2", **retention)
    clock.advance(SimulatorSettings.update_seconds)

    # Then it runs the retained count, or else the new configuration's
    assert _instance_counts(sagemaker, "churn") == (expected_count, expected_count)


def test_weights_and_capacities_must_name_the_endpoints_variants(
    sagemaker: BaseClient, clock: _Clock
) -> None:
    # Given an InService endpoint with one variant
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")

    # When capacities are set for a variant it lacks
    with pytest.raises(ClientError) as raised:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName="churn",
            DesiredWeightsAndCapacities=[{"VariantName": "Blue", "DesiredInstanceCount": 2}],
        )

    # Then SageMaker refuses and nothing changes
    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": 'The variant name(s) "Blue" is/are not present within endpoint configuration'
        ' "churn-v1".',
    }
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "InService"


LINEAR_BY_PERCENT = {"Type": "CAPACITY_PERCENT", "Value": 30}
LINEAR_BY_INSTANCES = {"Type": "INSTANCE_COUNT", "Value": 1}
CANARY_SIZE = {"Type": "CAPACITY_PERCENT", "Value": 10}


def _blue_green(**routing: Any) -> dict[str, Any]:
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"WaitIntervalInSeconds": 600, **routing},
            "TerminationWaitInSeconds": 300,
        }
    }


@pytest.mark.parametrize(
    ("deployment", "steps"),
    [
        ({}, 1),
        (_blue_green(Type="ALL_AT_ONCE"), 1),
        (_blue_green(Type="CANARY", CanarySize=CANARY_SIZE), 2),
        (_blue_green(Type="LINEAR", LinearStepSize=LINEAR_BY_PERCENT), 4),
        (_blue_green(Type="LINEAR", LinearStepSize=LINEAR_BY_INSTANCES), 2),
        (
            {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 50},
                    "WaitIntervalInSeconds": 600,
                }
            },
            2,
        ),
    ],
    ids=["default", "all-at-once", "canary", "linear-30-percent", "linear-by-instances", "rolling"],
)
def test_gradual_deployments_take_an_update_per_traffic_step(
    sagemaker: BaseClient, clock: _Clock, deployment: dict[str, Any], steps: int
) -> None:
    # Given an InService endpoint, and policy waits ignored as by default
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2")

    # When it is updated with a deployment policy
    sagemaker.update_endpoint(
        EndpointName="churn", EndpointConfigName="churn-v2", DeploymentConfig=deployment
    )

    # Then the update takes update_seconds for every step of traffic shifting
    clock.advance(steps * SimulatorSettings.update_seconds - 0.5)
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "Updating"
    clock.advance(0.5)
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "InService"


def test_policy_waits_and_the_time_scale_stretch_durations(
    sagemaker: BaseClient, simulator: SageMakerSimulator, clock: _Clock
) -> None:
    # Given every duration halved, and policy waits counted at a thousandth
    simulator.settings.time_scale = 0.5
    simulator.settings.policy_wait_scale = 0.001
    _create_config_with_model(sagemaker, "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2")

    # When an endpoint is created, then updated by canary with 600 s bakes and a 300 s wait
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-v1")
    clock.advance(0.5 * SimulatorSettings.create_seconds)
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "InService"
    sagemaker.update_endpoint(
        EndpointName="churn",
        EndpointConfigName="churn-v2",
        DeploymentConfig=_blue_green(Type="CANARY", CanarySize=CANARY_SIZE),
    )

    # Then the update lasts half of two steps each baked 0.6 s, plus 0.3 s before the old fleet goes
    update_seconds = 0.5 * (2 * (SimulatorSettings.update_seconds + 0.6) + 0.3)
    clock.advance(update_seconds - 0.01)
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "Updating"
    clock.advance(0.02)
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "InService"


def _watched_update(sagemaker: BaseClient, alarm: str) -> None:
    sagemaker.update_endpoint(
        EndpointName="churn",
        EndpointConfigName="churn-v2",
        DeploymentConfig={
            **_blue_green(Type="CANARY", CanarySize=CANARY_SIZE),
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": alarm}]},
        },
    )


@pytest.fixture
def alarm(local_aws: LocalAws) -> str:
    """A CloudWatch alarm on the endpoint's 5XX errors, in state OK."""
    _client(local_aws, "cloudwatch").put_metric_alarm(
        AlarmName="churn-5xx",
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "EndpointName", "Value": "churn"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return "churn-5xx"


def test_an_alarm_going_off_during_an_update_rolls_it_back(
    local_aws: LocalAws, sagemaker: BaseClient, clock: _Clock, alarm: str
) -> None:
    # Given an endpoint on churn-v1 that is being updated to churn-v2, watched by an alarm
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2")
    _watched_update(sagemaker, alarm)
    clock.advance(SimulatorSettings.update_seconds)
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "Updating"

    # When the alarm goes off while the canary bakes
    _client(local_aws, "cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="test"
    )

    # Then the endpoint rolls back, refusing changes meanwhile, to InService on churn-v1
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "RollingBack"
    with pytest.raises(ClientError) as update:
        sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")
    with pytest.raises(ClientError) as delete:
        sagemaker.delete_endpoint(EndpointName="churn")
    in_progress = f'Cannot update in-progress endpoint "{_arn("endpoint", "churn")}".'
    assert (_error(update)["Message"], _error(delete)["Message"]) == (in_progress, in_progress)
    clock.advance(SimulatorSettings.update_seconds)
    endpoint = sagemaker.describe_endpoint(EndpointName="churn")
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == ("InService", "churn-v1")
    assert endpoint["FailureReason"] == (
        "Rolled back the update because CloudWatch alarm(s) [churn-5xx] went into ALARM state."
    )
    assert "PendingDeploymentSummary" not in endpoint


def test_an_update_whose_alarm_stays_quiet_completes(
    local_aws: LocalAws, sagemaker: BaseClient, clock: _Clock, alarm: str
) -> None:
    # Given an endpoint on churn-v1, and an alarm in state OK
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2")

    # When it is updated under watch of the alarm, which only goes off after the update
    _watched_update(sagemaker, alarm)
    clock.advance(2 * SimulatorSettings.update_seconds)
    updated = sagemaker.describe_endpoint(EndpointName="churn")
    _client(local_aws, "cloudwatch").set_alarm_state(
        AlarmName=alarm, StateValue="ALARM", StateReason="test"
    )

    # Then the update completed, and the late alarm changes nothing
    assert (updated["EndpointStatus"], updated["EndpointConfigName"]) == ("InService", "churn-v2")
    assert "FailureReason" not in updated
    later = sagemaker.describe_endpoint(EndpointName="churn")
    assert (later["EndpointStatus"], later["EndpointConfigName"]) == ("InService", "churn-v2")


def test_deleted_endpoint_is_deleting_then_gone(sagemaker: BaseClient) -> None:
    # Given an InService endpoint
    _in_service_endpoint(sagemaker, "churn", "churn-v1")

    # When it is deleted, twice
    sagemaker.delete_endpoint(EndpointName="churn")
    sagemaker.delete_endpoint(EndpointName="churn")

    # Then it is Deleting, then gone from Describe and List, and deleting it again fails
    assert sagemaker.describe_endpoint(EndpointName="churn")["EndpointStatus"] == "Deleting"
    sagemaker.get_waiter("endpoint_deleted").wait(EndpointName="churn", WaiterConfig=FAST_WAIT)
    assert sagemaker.list_endpoints()["Endpoints"] == []
    with pytest.raises(ClientError) as raised:
        sagemaker.delete_endpoint(EndpointName="churn")
    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": 'Could not find endpoint "churn".',
    }


def test_deleting_what_a_live_endpoint_uses_is_recorded_as_misuse(
    sagemaker: BaseClient, simulator: SageMakerSimulator
) -> None:
    # Given an endpoint on churn-v1 that is being updated to churn-v2
    simulator.settings.update_seconds = SLOW_SECONDS
    _in_service_endpoint(sagemaker, "churn", "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2")
    sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")

    # When both configurations are deleted
    sagemaker.delete_endpoint_config(EndpointConfigName="churn-v1")
    sagemaker.delete_endpoint_config(EndpointConfigName="churn-v2")

    # Then SageMaker allows it, and the simulator records each as misuse
    assert simulator.misuse == [
        'DeleteEndpointConfig "churn-v1" while endpoint "churn" uses it',
        'DeleteEndpointConfig "churn-v2" while endpoint "churn" uses it',
    ]
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []


def test_deleting_a_model_behind_a_live_configuration_is_recorded_as_misuse(
    sagemaker: BaseClient, simulator: SageMakerSimulator
) -> None:
    # Given an InService endpoint
    _in_service_endpoint(sagemaker, "churn", "churn-v1")

    # When its model is deleted
    sagemaker.delete_model(ModelName="churn-v1-model")

    # Then that is recorded as misuse
    assert simulator.misuse == [
        'DeleteModel "churn-v1-model" while endpoint "churn" uses it'
        ' through endpoint configuration "churn-v1"'
    ]


def test_tearing_down_in_order_records_no_misuse(
    sagemaker: BaseClient, simulator: SageMakerSimulator
) -> None:
    # Given an InService endpoint
    _in_service_endpoint(sagemaker, "churn", "churn-v1")

    # When the endpoint is deleted before its configuration and model
    sagemaker.delete_endpoint(EndpointName="churn")
    sagemaker.delete_endpoint_config(EndpointConfigName="churn-v1")
    sagemaker.delete_model(ModelName="churn-v1-model")

    # Then nothing is recorded as misuse
    assert simulator.misuse == []


def test_calls_beyond_the_rate_are_throttled_until_the_bucket_refills(
    local_aws: LocalAws, simulator: SageMakerSimulator
) -> None:
    # Given ListEndpoints limited to 5 calls a second, and a client that never retries
    simulator.settings.throttle = {"ListEndpoints": 5.0}
    impatient = _client(local_aws, "sagemaker", Config(retries={"total_max_attempts": 1}))

    # When it calls faster than that
    with pytest.raises(ClientError) as raised:
        for _ in range(20):
            impatient.list_endpoints()

    # Then it gets SageMaker's ThrottlingException, and other operations are not limited
    assert _error(raised) == {"Code": "ThrottlingException", "Message": "Rate exceeded"}
    assert simulator.throttled == {"ListEndpoints": 1}
    impatient.list_models()

    # And a client with botocore's standard retries gets through
    patient = _client(
        local_aws, "sagemaker", Config(retries={"mode": "standard", "total_max_attempts": 10})
    )
    assert patient.list_endpoints()["Endpoints"] == []
    assert simulator.throttled["ListEndpoints"] >= 1


def test_every_sagemaker_call_is_logged_in_order(
    sagemaker: BaseClient, simulator: SageMakerSimulator
) -> None:
    # Given nothing called yet

    # When a client creates, tags and describes an endpoint, and fails to describe another
    _create_config_with_model(sagemaker, "churn-config")
    arn = sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")[
        "EndpointArn"
    ]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    sagemaker.list_tags(ResourceArn=arn)
    sagemaker.describe_endpoint(EndpointName="churn")
    with pytest.raises(ClientError):
        sagemaker.describe_endpoint(EndpointName="nowhere")

    # Then the log holds every call, in order, with its parameters and a clock reading
    assert simulator.operations() == [
        "CreateModel",
        "CreateEndpointConfig",
        "CreateEndpoint",
        "AddTags",
        "ListTags",
        "DescribeEndpoint",
        "DescribeEndpoint",
    ]
    assert simulator.calls[2].params == {
        "EndpointName": "churn",
        "EndpointConfigName": "churn-config",
    }
    times = [call.at for call in simulator.calls]
    assert times == sorted(times)


def test_tags_given_at_creation_are_listable(sagemaker: BaseClient) -> None:
    # Given tags for a model, its configuration and its endpoint
    tags = [{"Key": "stack", "Value": "churn"}]

    # When each is created with them
    model = sagemaker.create_model(
        ModelName="churn-model",
        ExecutionRoleArn=ROLE_ARN,
        PrimaryContainer={"Image": IMAGE},
        Tags=tags,
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="churn-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "churn-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        Tags=tags,
    )
    config = sagemaker.describe_endpoint_config(EndpointConfigName="churn-config")
    endpoint = sagemaker.create_endpoint(
        EndpointName="churn", EndpointConfigName="churn-config", Tags=tags
    )

    # Then ListTags returns them for every ARN
    for arn in (model["ModelArn"], config["EndpointConfigArn"], endpoint["EndpointArn"]):
        assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == tags


def test_reset_forgets_resources_and_calls(
    local_aws: LocalAws, sagemaker: BaseClient, simulator: SageMakerSimulator
) -> None:
    # Given an endpoint that is still being created, and a misuse on record
    _create_config_with_model(sagemaker, "churn-config")
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")
    sagemaker.delete_model(ModelName="churn-config-model")

    # When LocalAws is reset
    local_aws.reset()

    # Then moto and the simulator both start from scratch, so the names are free again
    assert (simulator.calls, simulator.misuse) == ([], [])
    assert sagemaker.list_endpoints()["Endpoints"] == []
    _create_config_with_model(sagemaker, "churn-config")


def test_other_services_pass_straight_through_to_moto(
    local_aws: LocalAws, simulator: SageMakerSimulator
) -> None:
    # Given an S3 client on the same server
    s3 = _client(local_aws, "s3")

    # When it stores and reads back an object
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="model.tar.gz", Body=b"weights")
    body = s3.get_object(Bucket="artifacts", Key="model.tar.gz")["Body"].read()

    # Then moto served it, and the SageMaker log saw none of it
    assert body == b"weights"
    assert simulator.operations() == []


# SageMaker Runtime: every simulated model echoes what it is sent.
NO_RETRIES = Config(retries={"total_max_attempts": 1})
BINARY = bytes(range(256)) * 100
ASYNC_INPUT = "s3://churn/async/in/request.bin"


@pytest.fixture
def runtime(local_aws: LocalAws) -> BaseClient:
    """A SageMaker Runtime client that reports the first error rather than retrying it."""
    return _client(local_aws, "sagemaker-runtime", NO_RETRIES)


@pytest.fixture
def s3(local_aws: LocalAws) -> BaseClient:
    return _client(local_aws, "s3")


def _invoke_error(runtime: BaseClient, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(**kwargs)
    return raised.value.response


def _status(response: dict[str, Any]) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [({"Accept": "application/jsonlines"}, "application/jsonlines"), ({}, "application/json")],
    ids=["accept-given", "no-accept"],
)
def test_invoke_endpoint_echoes_the_body_in_the_accepted_type(
    sagemaker: BaseClient,
    runtime: BaseClient,
    clock: _Clock,
    accept: dict[str, str],
    content_type: str,
) -> None:
    # Given an InService endpoint
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")

    # When a JSON request is sent to it
    response = runtime.invoke_endpoint(
        EndpointName="churn", Body=b'{"tenure": 3}', ContentType="application/json", **accept
    )

    # Then the echo model answers with the body, in the Accept type if there is one, from the
    # endpoint's only variant
    assert response["Body"].read() == b'{"tenure": 3}'
    assert response["ContentType"] == content_type
    assert response["InvokedProductionVariant"] == "AllTraffic"


def test_a_binary_body_round_trips_byte_for_byte(
    sagemaker: BaseClient, runtime: BaseClient, simulator: SageMakerSimulator, clock: _Clock
) -> None:
    # Given an InService endpoint
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")

    # When a body that is no UTF-8 at all is sent
    response = runtime.invoke_endpoint(
        EndpointName="churn", Body=BINARY, ContentType="application/x-image"
    )

    # Then every byte comes back, and the log knows how many reached the endpoint
    assert response["Body"].read() == BINARY
    assert response["ContentType"] == "application/x-image"
    [call] = simulator.calls_to("InvokeEndpoint")
    assert call.params == {
        "EndpointName": "churn",
        "ContentType": "application/x-image",
        "BodyLength": len(BINARY),
    }


def test_every_header_that_reached_the_endpoint_is_logged_and_attributes_echoed(
    sagemaker: BaseClient, runtime: BaseClient, simulator: SageMakerSimulator, clock: _Clock
) -> None:
    # Given an InService endpoint
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")

    # When it is invoked with every routing and tracing header
    response = runtime.invoke_endpoint(
        EndpointName="churn",
        Body=b"1,2,3",
        ContentType="text/csv",
        Accept="application/json",
        CustomAttributes="trace=abc",
        TargetModel="churn.tar.gz",
        TargetContainerHostname="primary",
        InferenceId="request-1",
    )

    # Then the custom attributes come back, and the log holds what the endpoint received
    assert response["CustomAttributes"] == "trace=abc"
    assert simulator.calls_to("InvokeEndpoint")[0].params == {
        "EndpointName": "churn",
        "ContentType": "text/csv",
        "Accept": "application/json",
        "CustomAttributes": "trace=abc",
        "TargetModel": "churn.tar.gz",
        "TargetContainerHostname": "primary",
        "InferenceId": "request-1",
        "BodyLength": 5,
    }


def test_an_endpoint_with_models_refuses_an_inference_component(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock
) -> None:
    # Given an InService endpoint whose variant serves a model, hosting no component
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")

    # When a request names an inference component
    response = _invoke_error(
        runtime, EndpointName="churn", Body=b"1", InferenceComponentName="churn-component"
    )

    # Then SageMaker Runtime refuses it: there is no such component on the endpoint
    assert response["Error"] == {
        "Code": "ValidationError",
        "Message": "Inference component churn-component not found for endpoint churn.",
    }


def test_the_target_variant_chooses_the_variant_and_else_the_heaviest_answers(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock
) -> None:
    # Given an InService endpoint with a light Blue and a heavy Green variant
    _create_model(sagemaker, "churn-model")
    sagemaker.create_endpoint_config(
        EndpointConfigName="churn-config",
        ProductionVariants=[
            {
                "VariantName": name,
                "ModelName": "churn-model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "InitialVariantWeight": weight,
            }
            for name, weight in [("Blue", 1.0), ("Green", 3.0)]
        ],
    )
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")
    clock.advance(SimulatorSettings.create_seconds)

    # When it is invoked without a target, with each variant as target, and with a missing one
    def invoked(**target: str) -> str:
        return runtime.invoke_endpoint(EndpointName="churn", Body=b"1", **target)[
            "InvokedProductionVariant"
        ]

    chosen = [invoked(), invoked(TargetVariant="Blue"), invoked(TargetVariant="Green")]
    missing = _invoke_error(runtime, EndpointName="churn", Body=b"1", TargetVariant="Red")

    # Then the target answers, the heaviest variant otherwise, and a missing one is refused
    assert chosen == ["Green", "Blue", "Green"]
    assert missing["Error"] == {
        "Code": "ValidationError",
        "Message": "Variant Red not found for endpoint churn.",
    }


def test_an_updating_endpoint_keeps_serving_on_its_old_configuration(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock
) -> None:
    # Given an endpoint being updated from variant AllTraffic to variant Blue
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")
    _create_config_with_model(sagemaker, "churn-v2", VariantName="Blue")
    sagemaker.update_endpoint(EndpointName="churn", EndpointConfigName="churn-v2")

    # When it is invoked during and after the update
    during = runtime.invoke_endpoint(EndpointName="churn", Body=b"1")
    clock.advance(SimulatorSettings.update_seconds)
    after = runtime.invoke_endpoint(EndpointName="churn", Body=b"1")

    # Then the old fleet answers until the new one takes over
    assert during["InvokedProductionVariant"] == "AllTraffic"
    assert after["InvokedProductionVariant"] == "Blue"


def test_only_endpoints_in_service_are_invoked(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock
) -> None:
    # Given an endpoint that is still being created, and none named "nowhere"
    _create_config_with_model(sagemaker, "churn-v1")
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-v1")

    # When both are invoked
    creating = _invoke_error(runtime, EndpointName="churn", Body=b"1")
    missing = _invoke_error(runtime, EndpointName="nowhere", Body=b"1")

    # Then SageMaker Runtime refuses both with a ValidationError
    assert (_status(creating), creating["Error"]) == (
        400,
        {"Code": "ValidationError", "Message": "Endpoint churn is not in service."},
    )
    assert (_status(missing), missing["Error"]) == (
        400,
        {
            "Code": "ValidationError",
            "Message": f"Endpoint nowhere of account {ACCOUNT_ID} not found.",
        },
    )


def test_a_model_error_carries_the_containers_status_and_log_stream(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock
) -> None:
    # Given an InService endpoint
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")

    # When a request asks its model to fail
    with pytest.raises(runtime.exceptions.ModelError) as raised:
        runtime.invoke_endpoint(
            EndpointName="churn", Body=b"1", CustomAttributes="trace=1;simulate-model-error"
        )

    # Then botocore raises ModelError with the fields of SageMaker's error
    response = raised.value.response
    assert _status(response) == 424
    assert response["Error"]["Code"] == "ModelError"
    assert response["Error"]["Message"].startswith(
        'Received server error (500) from primary with message "Simulated model error".'
    )
    assert response["OriginalStatusCode"] == 500
    assert response["OriginalMessage"] == "Simulated model error"
    assert response["LogStreamArn"] == (
        f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/sagemaker/Endpoints/churn"
    )


@pytest.mark.parametrize(
    ("switch", "code", "status"),
    [
        ("simulate-model-not-ready", "ModelNotReadyException", 429),
        ("simulate-service-unavailable", "ServiceUnavailable", 503),
    ],
)
def test_custom_attributes_make_the_service_refuse(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock, switch: str, code: str, status: int
) -> None:
    # Given an InService endpoint
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")

    # When a request carries the switch
    response = _invoke_error(runtime, EndpointName="churn", Body=b"1", CustomAttributes=switch)

    # Then botocore sees SageMaker Runtime's error for it
    assert (_status(response), response["Error"]["Code"]) == (status, code)


def test_invocations_beyond_the_rate_are_throttled(
    sagemaker: BaseClient, runtime: BaseClient, simulator: SageMakerSimulator, clock: _Clock
) -> None:
    # Given an InService endpoint, and InvokeEndpoint limited to one call a second
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")
    simulator.settings.throttle = {"InvokeEndpoint": 1.0}

    # When it is invoked twice within the same instant
    runtime.invoke_endpoint(EndpointName="churn", Body=b"1")
    response = _invoke_error(runtime, EndpointName="churn", Body=b"1")

    # Then the second call gets SageMaker Runtime's ThrottlingException, which has no message
    assert (_status(response), response["Error"]) == (
        400,
        {"Code": "ThrottlingException", "Message": None},
    )
    assert simulator.throttled == {"InvokeEndpoint": 1}
    assert len(simulator.calls_to("InvokeEndpoint")) == 1


def test_a_body_over_6_mb_is_refused_before_it_reaches_the_model(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock
) -> None:
    # Given an InService endpoint
    _in_service_on_clock(sagemaker, clock, "churn", "churn-v1")
    limit = 6 * 1024 * 1024

    # When it is sent a body of exactly 6 MB, then one a byte larger
    at_limit = runtime.invoke_endpoint(EndpointName="churn", Body=b"x" * limit)
    over = _invoke_error(runtime, EndpointName="churn", Body=b"x" * (limit + 1))

    # Then the first goes through, and SageMaker's front end refuses the second with a bare 413
    assert len(at_limit["Body"].read()) == limit
    assert (_status(over), over["Error"]) == (
        413,
        {"Code": "413", "Message": f"HTTP content length exceeded {limit} bytes."},
    )


def _async_endpoint(sagemaker: BaseClient, s3: BaseClient, clock: _Clock) -> None:
    """The InService endpoint "churn" on ASYNC_CONFIG, with ASYNC_INPUT holding BINARY."""
    s3.create_bucket(Bucket="churn")
    s3.put_object(Bucket="churn", Key="async/in/request.bin", Body=BINARY)
    _create_model(sagemaker, "churn-model")
    sagemaker.create_endpoint_config(EndpointConfigName="churn-config", **ASYNC_CONFIG)
    sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")
    clock.advance(SimulatorSettings.create_seconds)


def _keys(s3: BaseClient) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket="churn").get("Contents", [])]


def test_an_async_invocation_leaves_the_echo_in_s3_after_the_processing_time(
    sagemaker: BaseClient,
    runtime: BaseClient,
    s3: BaseClient,
    simulator: SageMakerSimulator,
    clock: _Clock,
) -> None:
    # Given an asynchronous endpoint, and its input uploaded to S3
    _async_endpoint(sagemaker, s3, clock)

    # When it is invoked on that input
    response = runtime.invoke_endpoint_async(
        EndpointName="churn",
        InputLocation=ASYNC_INPUT,
        ContentType="application/x-image",
        InferenceId="request-1",
        RequestTTLSeconds=600,
    )

    # Then it answers 202 with where the result will be, which is empty until processing is done
    assert _status(response) == 202
    assert response["InferenceId"] == "request-1"
    assert response["OutputLocation"] == "s3://churn/async/out/request-1.out"
    assert response["FailureLocation"] == "s3://churn/async/failed/request-1.error"
    clock.advance(SimulatorSettings.async_seconds - 0.01)
    assert _keys(s3) == ["async/in/request.bin"]
    clock.advance(0.01)
    output = s3.get_object(Bucket="churn", Key="async/out/request-1.out")
    assert output["Body"].read() == BINARY
    assert output["ContentType"] == "application/x-image"
    assert simulator.calls_to("InvokeEndpointAsync")[0].params == {
        "EndpointName": "churn",
        "ContentType": "application/x-image",
        "InferenceId": "request-1",
        "InputLocation": ASYNC_INPUT,
        "RequestTTLSeconds": 600,
        "BodyLength": 0,
    }


def test_an_async_model_error_leaves_the_failure_in_s3(
    sagemaker: BaseClient, runtime: BaseClient, s3: BaseClient, clock: _Clock
) -> None:
    # Given an asynchronous endpoint, and its input uploaded to S3
    _async_endpoint(sagemaker, s3, clock)

    # When an invocation without an InferenceId asks the model to fail, and processing is done
    response = runtime.invoke_endpoint_async(
        EndpointName="churn", InputLocation=ASYNC_INPUT, CustomAttributes="simulate-model-error"
    )
    clock.advance(SimulatorSettings.async_seconds)

    # Then SageMaker's generated InferenceId names the failure object, and no output appears
    failure = f"async/failed/{response['InferenceId']}.error"
    assert sorted(_keys(s3)) == sorted(["async/in/request.bin", failure])
    body = s3.get_object(Bucket="churn", Key=failure)["Body"].read()
    assert body == b"Simulated model error"


def test_async_invocations_need_an_async_endpoint_and_an_input(
    sagemaker: BaseClient, runtime: BaseClient, s3: BaseClient, clock: _Clock
) -> None:
    # Given an asynchronous endpoint, and a real-time one
    _async_endpoint(sagemaker, s3, clock)
    _in_service_on_clock(sagemaker, clock, "realtime", "realtime-v1")

    # When the real-time one is invoked asynchronously, and the async one on a missing input
    with pytest.raises(ClientError) as realtime:
        runtime.invoke_endpoint_async(EndpointName="realtime", InputLocation=ASYNC_INPUT)
    with pytest.raises(ClientError) as missing:
        runtime.invoke_endpoint_async(
            EndpointName="churn", InputLocation="s3://churn/async/in/nothing.bin"
        )

    # Then both are ValidationErrors
    assert _error(realtime) == {
        "Code": "ValidationError",
        "Message": "Endpoint realtime is not an asynchronous inference endpoint.",
    }
    assert _error(missing) == {
        "Code": "ValidationError",
        "Message": "Could not read the input location s3://churn/async/in/nothing.bin.",
    }


def test_reset_forgets_pending_async_results(
    local_aws: LocalAws,
    sagemaker: BaseClient,
    runtime: BaseClient,
    s3: BaseClient,
    simulator: SageMakerSimulator,
    clock: _Clock,
) -> None:
    # Given an asynchronous invocation still being processed
    _async_endpoint(sagemaker, s3, clock)
    runtime.invoke_endpoint_async(EndpointName="churn", InputLocation=ASYNC_INPUT)

    # When LocalAws is reset, and the processing time passes
    local_aws.reset()
    clock.advance(SimulatorSettings.async_seconds)
    s3.create_bucket(Bucket="churn")

    # Then nothing is written into the new bucket of the same name
    assert _keys(s3) == []
    assert simulator.misuse == []
