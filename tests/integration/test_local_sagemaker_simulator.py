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

from localaws import LocalAws, SageMakerSimulator, SimulatorSettings

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


def _create_config(sagemaker: BaseClient, name: str, model_name: str) -> None:
    sagemaker.create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": model_name,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
    )


def _create_config_with_model(sagemaker: BaseClient, name: str, image: str = IMAGE) -> None:
    _create_model(sagemaker, f"{name}-model", image)
    _create_config(sagemaker, name, f"{name}-model")


def _in_service_endpoint(sagemaker: BaseClient, name: str, config_name: str) -> None:
    _create_config_with_model(sagemaker, config_name)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=config_name)
    sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=name, WaiterConfig=FAST_WAIT)


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
