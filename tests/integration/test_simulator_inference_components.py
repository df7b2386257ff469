"""The local SageMaker hosts inference components as SageMaker does: endpoints without models,
components with copies placed on their instances, statuses on the simulated clock, and the
runtime routing to them.

Every test talks to one LocalAws server through real boto3 clients, on a clock the test moves.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import ClientError

from localaws.sagemaker import SageMakerSimulator, SimulatorSettings
from localaws.server import LocalAws
from tests.integration.test_local_sagemaker_simulator import (
    ACCOUNT_ID,
    REGION,
    ROLE_ARN,
    _arn,
    _Clock,
    _error,
)
from tests.integration.test_local_sagemaker_simulator import _client as client

IMAGE = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/llm:1"
FAILING_IMAGE = f"{ACCOUNT_ID}.dkr.ecr.{REGION}.amazonaws.com/llm:fail"
# One A10G of the four on an ml.g5.12xlarge, a quarter of its vCPUs and memory.
ONE_GPU = {
    "NumberOfAcceleratorDevicesRequired": 1,
    "NumberOfCpuCoresRequired": 12,
    "MinMemoryRequiredInMb": 49152,
}
NO_CAPACITY = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be"
    " in-progress (if configured) or try to increase the capacity by invoking"
    " UpdateInferenceComponentRuntimeConfig API."
)
SETTINGS = SimulatorSettings()


@pytest.fixture(scope="module")
def local_aws() -> Iterator[LocalAws]:
    with LocalAws() as aws:
        yield aws


def on_fresh_clock(local_aws: LocalAws) -> _Clock:
    """Empty LocalAws, with default durations on a clock the test moves."""
    local_aws.reset()
    clock = _Clock()
    local_aws.simulator.settings = SimulatorSettings(clock=clock)
    return clock


@pytest.fixture
def clock(local_aws: LocalAws) -> _Clock:
    return on_fresh_clock(local_aws)


@pytest.fixture
def simulator(local_aws: LocalAws, clock: _Clock) -> SageMakerSimulator:
    return local_aws.simulator


def _client(local_aws: LocalAws, service: str) -> BaseClient:
    return client(local_aws, service, Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def sagemaker(local_aws: LocalAws, clock: _Clock) -> BaseClient:
    return _client(local_aws, "sagemaker")


@pytest.fixture
def runtime(local_aws: LocalAws, clock: _Clock) -> BaseClient:
    return _client(local_aws, "sagemaker-runtime")


def _variant(**changes: Any) -> dict[str, Any]:
    return {
        "VariantName": "AllTraffic",
        "InstanceType": "ml.g5.12xlarge",
        "InitialInstanceCount": 1,
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
        **changes,
    }


def _component_endpoint(sagemaker: BaseClient, clock: _Clock, **variant: Any) -> None:
    """The InService endpoint "llm", hosting components on one variant, and the model "llm-7b"."""
    sagemaker.create_model(
        ModelName="llm-7b", ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE}
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="llm-config",
        ExecutionRoleArn=ROLE_ARN,
        ProductionVariants=[_variant(**variant)],
    )
    sagemaker.create_endpoint(EndpointName="llm", EndpointConfigName="llm-config")
    clock.advance(SETTINGS.create_seconds)


def _create_component(
    sagemaker: BaseClient, name: str = "chat", copies: int = 1, **specification: Any
) -> None:
    sagemaker.create_inference_component(
        InferenceComponentName=name,
        EndpointName="llm",
        VariantName="AllTraffic",
        Specification={"ModelName": "llm-7b", "ComputeResourceRequirements": ONE_GPU}
        | specification,
        RuntimeConfig={"CopyCount": copies},
    )


def _in_service(sagemaker: BaseClient, clock: _Clock, name: str = "chat", copies: int = 1) -> None:
    _create_component(sagemaker, name, copies)
    clock.advance(SETTINGS.component_create_seconds)


def _component(sagemaker: BaseClient, name: str = "chat") -> dict[str, Any]:
    return sagemaker.describe_inference_component(InferenceComponentName=name)


def _copies(sagemaker: BaseClient, name: str = "chat") -> tuple[str, int, int]:
    described = _component(sagemaker, name)
    runtime = described["RuntimeConfig"]
    return (
        described["InferenceComponentStatus"],
        runtime["CurrentCopyCount"],
        runtime["DesiredCopyCount"],
    )


def _instances(sagemaker: BaseClient) -> int:
    [variant] = sagemaker.describe_endpoint(EndpointName="llm")["ProductionVariants"]
    return variant["CurrentInstanceCount"]


def test_an_endpoint_without_models_shows_its_variants_settings(
    sagemaker: BaseClient, clock: _Clock
) -> None:
    # Given a configuration whose variant names no model and scales its instances itself
    scaling = {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 3}

    # When an endpoint is created on it
    _component_endpoint(sagemaker, clock, ManagedInstanceScaling=scaling)

    # Then both describe the variant as given, and the endpoint runs its initial instance
    config = sagemaker.describe_endpoint_config(EndpointConfigName="llm-config")
    assert config["ProductionVariants"] == [_variant(ManagedInstanceScaling=scaling)]
    assert config["ExecutionRoleArn"] == ROLE_ARN
    endpoint = sagemaker.describe_endpoint(EndpointName="llm")
    assert endpoint["EndpointStatus"] == "InService"
    [variant] = endpoint["ProductionVariants"]
    assert variant["CurrentInstanceCount"] == 1
    assert variant["ManagedInstanceScaling"] == scaling
    assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"ProductionVariants": [_variant()]},
            "ExecutionRoleArn is required for an endpoint configuration whose production"
            " variants host inference components (they name no ModelName).",
        ),
        (
            {
                "ProductionVariants": [
                    _variant(
                        ModelName="llm-7b",
                        ManagedInstanceScaling={"Status": "ENABLED", "MaxInstanceCount": 2},
                    )
                ]
            },
            "ManagedInstanceScaling is only supported for inference component endpoints.",
        ),
        (
            {
                "ExecutionRoleArn": ROLE_ARN,
                "ProductionVariants": [_variant(), _variant(VariantName="B", ModelName="llm-7b")],
            },
            "All production variants of an endpoint configuration must either name a model or,"
            " for inference components, none may: found both.",
        ),
        (
            {
                "ExecutionRoleArn": ROLE_ARN,
                "ProductionVariants": [
                    {
                        "VariantName": "AllTraffic",
                        "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 1},
                    }
                ],
            },
            "ServerlessConfig is not supported for endpoints that host inference components.",
        ),
        (
            {
                "ExecutionRoleArn": ROLE_ARN,
                "ProductionVariants": [_variant()],
                "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://llm/out"}},
            },
            "AsyncInferenceConfig is not supported for endpoints that host inference components.",
        ),
        (
            {
                "ExecutionRoleArn": ROLE_ARN,
                "ProductionVariants": [_variant(InstanceType="ml.p6e-gb200.36xlarge")],
            },
            "The simulator cannot place inference components on ml.p6e-gb200.36xlarge: its instance"
            " table (moto/ec2/resources/instance_types.json.gz) does not list it.",
        ),
    ],
    ids=["no-role", "managed-scaling-on-model", "mixed", "serverless", "async", "unknown-type"],
)
def test_configurations_sagemaker_refuses_are_refused(
    sagemaker: BaseClient, clock: _Clock, config: dict[str, Any], message: str
) -> None:
    # Given a model
    sagemaker.create_model(
        ModelName="llm-7b", ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE}
    )

    # When a configuration breaking a rule of component endpoints is created
    with pytest.raises(ClientError) as raised:
        sagemaker.create_endpoint_config(EndpointConfigName="llm-config", **config)

    # Then SageMaker refuses it, saying why, and nothing is stored
    assert _error(raised) == {"Code": "ValidationException", "Message": message}
    assert sagemaker.list_endpoint_configs()["EndpointConfigs"] == []


def test_a_component_is_creating_then_in_service_with_its_copies(
    sagemaker: BaseClient, clock: _Clock
) -> None:
    # Given a component endpoint with one ml.g5.12xlarge (4 GPUs)
    _component_endpoint(sagemaker, clock)

    # When a component of two one-GPU copies is created, with tags
    arn = sagemaker.create_inference_component(
        InferenceComponentName="Chat",
        EndpointName="llm",
        Specification={
            "ModelName": "llm-7b",
            "ComputeResourceRequirements": ONE_GPU,
            "StartupParameters": {"ModelDataDownloadTimeoutInSeconds": 600},
        },
        RuntimeConfig={"CopyCount": 2},
        Tags=[{"Key": "team", "Value": "ml"}],
    )["InferenceComponentArn"]

    # Then it is Creating without copies, then InService with both, on the only variant
    assert arn == _arn("inference-component", "chat")
    assert _copies(sagemaker, "Chat") == ("Creating", 0, 2)
    clock.advance(SETTINGS.component_create_seconds)
    described = _component(sagemaker, "Chat")
    assert described["InferenceComponentStatus"] == "InService"
    assert described["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}
    assert (described["EndpointName"], described["EndpointArn"]) == ("llm", _arn("endpoint", "llm"))
    assert described["VariantName"] == "AllTraffic"
    assert described["Specification"] == {
        "ModelName": "llm-7b",
        "ComputeResourceRequirements": ONE_GPU,
        "StartupParameters": {"ModelDataDownloadTimeoutInSeconds": 600},
    }
    assert "FailureReason" not in described
    assert described["LastModifiedTime"] > described["CreationTime"]
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert _instances(sagemaker) == 1


def test_component_names_are_unique_and_missing_ones_are_not_found(
    sagemaker: BaseClient, clock: _Clock
) -> None:
    # Given a component "chat"
    _component_endpoint(sagemaker, clock)
    _create_component(sagemaker)

    # When a second "chat" is created, and "nowhere" is described, updated and deleted
    with pytest.raises(ClientError) as twice:
        _create_component(sagemaker)
    missing = []
    for call in (
        sagemaker.describe_inference_component,
        sagemaker.delete_inference_component,
    ):
        with pytest.raises(ClientError) as raised:
            call(InferenceComponentName="nowhere")
        missing.append(_error(raised))

    # Then SageMaker refuses each with its words
    assert _error(twice) == {
        "Code": "ValidationException",
        "Message": "Cannot create already existing inference component "
        f'"{_arn("inference-component", "chat")}".',
    }
    not_found = {
        "Code": "ValidationException",
        "Message": "Could not find inference component"
        f' "{_arn("inference-component", "nowhere")}".',
    }
    assert missing == [not_found, not_found]


@pytest.mark.parametrize(
    ("request_changes", "message"),
    [
        (
            {"RuntimeConfig": {"CopyCount": 0}},
            "Inference components copy count an integer larger than 0",
        ),
        (
            {"Specification": {"ModelName": "gone", "ComputeResourceRequirements": ONE_GPU}},
            f'Could not find model "{_arn("model", "gone")}".',
        ),
        (
            {"Specification": {"ModelName": "llm-7b"}},
            "The Specification needs ComputeResourceRequirements.",
        ),
        (
            {
                "Specification": {
                    "BaseInferenceComponentName": "nobase",
                    "Container": {"ArtifactUrl": "s3://llm/adapter"},
                },
                "RuntimeConfig": None,
            },
            'Could not find base inference component "nobase" on endpoint "llm".',
        ),
        (
            {"VariantName": "Blue"},
            'The variant name "Blue" is not present within endpoint configuration "llm-config".',
        ),
    ],
    ids=["zero-copies", "missing-model", "no-compute", "missing-base", "missing-variant"],
)
def test_components_sagemaker_refuses_are_refused(
    sagemaker: BaseClient, clock: _Clock, request_changes: dict[str, Any], message: str
) -> None:
    # Given a component endpoint
    _component_endpoint(sagemaker, clock)
    request = {
        "InferenceComponentName": "chat",
        "EndpointName": "llm",
        "Specification": {"ModelName": "llm-7b", "ComputeResourceRequirements": ONE_GPU},
        "RuntimeConfig": {"CopyCount": 1},
    } | request_changes

    # When a component breaking a rule is created
    with pytest.raises(ClientError) as raised:
        sagemaker.create_inference_component(**{k: v for k, v in request.items() if v is not None})

    # Then SageMaker refuses it and no component exists
    assert _error(raised) == {"Code": "ValidationException", "Message": message}
    assert sagemaker.list_inference_components()["InferenceComponents"] == []


@pytest.mark.parametrize(
    ("image", "copies", "reason"),
    [
        (
            FAILING_IMAGE,
            1,
            "The container for inference component chat did not pass the ping health check."
            " Please check CloudWatch logs for this inference component.",
        ),
        (
            IMAGE,
            5,
            "Insufficient capacity to place 5 copies of inference component chat on variant"
            " AllTraffic of endpoint llm.",
        ),
    ],
    ids=["failing-image", "too-many-copies"],
)
def test_a_component_that_cannot_start_fails_with_a_reason(
    sagemaker: BaseClient, clock: _Clock, image: str, copies: int, reason: str
) -> None:
    # Given a component endpoint with one ml.g5.12xlarge (4 GPUs) and no managed scaling
    _component_endpoint(sagemaker, clock)

    # When a component is created whose container fails, or whose copies need more GPUs
    _create_component(sagemaker, copies=copies, Container={"Image": image})
    clock.advance(SETTINGS.component_create_seconds)

    # Then it fails with the reason, holds no copies, and can only be deleted
    described = _component(sagemaker)
    assert (described["InferenceComponentStatus"], described["FailureReason"]) == ("Failed", reason)
    assert described["RuntimeConfig"]["CurrentCopyCount"] == 0
    with pytest.raises(ClientError) as raised:
        sagemaker.update_inference_component_runtime_config(
            InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 1}
        )
    assert "Failed status" in _error(raised)["Message"]


def test_managed_instance_scaling_adds_and_releases_instances_for_copies(
    sagemaker: BaseClient, clock: _Clock, simulator: SageMakerSimulator
) -> None:
    # Given a component endpoint of ml.g5.12xlarge (4 GPUs) scaling between 0 and 3 instances,
    # with a component of 3 one-GPU copies
    scaling = {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 3}
    _component_endpoint(sagemaker, clock, ManagedInstanceScaling=scaling)
    _in_service(sagemaker, clock, copies=3)
    assert _instances(sagemaker) == 1

    # When it asks for 10 copies, then for none
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 10}
    )
    updating = _copies(sagemaker)
    clock.advance(SETTINGS.component_update_seconds)
    scaled_out = (_copies(sagemaker), _instances(sagemaker))
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 0}
    )
    clock.advance(SETTINGS.component_update_seconds)

    # Then the endpoint grows to its maximum of 3 instances, where 12 GPUs hold 10 copies, and
    # shrinks to no instance at all once no copy remains
    assert updating == ("Updating", 3, 10)
    assert scaled_out == (("InService", 10, 10), 3)
    assert (_copies(sagemaker), _instances(sagemaker)) == (("InService", 0, 0), 0)
    assert simulator.hosting() == [
        {
            "EndpointName": "llm",
            "VariantName": "AllTraffic",
            "InstanceCount": 0,
            "Copies": {"chat": (0, 0)},
        }
    ]


def test_copies_beyond_a_fixed_fleet_stay_unplaced(sagemaker: BaseClient, clock: _Clock) -> None:
    # Given a component endpoint of one ml.g5.12xlarge without managed scaling, and a component
    _component_endpoint(sagemaker, clock)
    _in_service(sagemaker, clock, copies=2)

    # When it asks for 6 one-GPU copies
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 6}
    )
    clock.advance(SETTINGS.component_update_seconds)

    # Then the 4 that fit run, the component stays InService, and the fleet stays one instance
    assert (_copies(sagemaker), _instances(sagemaker)) == (("InService", 4, 6), 1)


def _rolling_update(sagemaker: BaseClient, image: str, alarm: str | None = None) -> None:
    deployment: dict[str, Any] = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 60,
        }
    }
    if alarm:
        deployment["AutoRollbackConfiguration"] = {"Alarms": [{"AlarmName": alarm}]}
    sagemaker.update_inference_component(
        InferenceComponentName="chat",
        Specification={
            "ModelName": "llm-7b",
            "Container": {"Image": image},
            "ComputeResourceRequirements": ONE_GPU,
        },
        DeploymentConfig=deployment,
    )


def test_a_rolling_update_moves_the_component_to_its_new_specification(
    sagemaker: BaseClient, clock: _Clock
) -> None:
    # Given an InService component of 2 copies
    _component_endpoint(sagemaker, clock)
    _in_service(sagemaker, clock, copies=2)

    # When it is updated to a new image, one copy at a time
    _rolling_update(sagemaker, f"{IMAGE}-v2")

    # Then it is Updating on its old specification for one batch per copy, then InService on
    # the new one, remembering the deployment
    clock.advance(2 * SETTINGS.component_update_seconds - 0.5)
    updating = _component(sagemaker)
    clock.advance(0.5)
    updated = _component(sagemaker)
    assert updating["InferenceComponentStatus"] == "Updating"
    assert "Container" not in updating["Specification"]
    assert updated["InferenceComponentStatus"] == "InService"
    container = updated["Specification"]["Container"]
    assert container["DeployedImage"]["SpecifiedImage"] == f"{IMAGE}-v2"
    assert updated["LastDeploymentConfig"]["RollingUpdatePolicy"]["WaitIntervalInSeconds"] == 60
    assert updated["RuntimeConfig"]["CurrentCopyCount"] == 2


@pytest.mark.parametrize("cause", ["failing-image", "alarm"])
def test_a_failed_update_returns_to_the_old_specification(
    local_aws: LocalAws, sagemaker: BaseClient, clock: _Clock, cause: str
) -> None:
    # Given an InService component, and an alarm in OK
    _component_endpoint(sagemaker, clock)
    _in_service(sagemaker, clock)
    cloudwatch = _client(local_aws, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="chat-errors",
        Namespace="AWS/SageMaker",
        MetricName="Invocation5XXErrors",
        Dimensions=[{"Name": "InferenceComponentName", "Value": "chat"}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )

    # When an update to a failing image completes, or its alarm goes off while it rolls
    image = FAILING_IMAGE if cause == "failing-image" else f"{IMAGE}-v2"
    _rolling_update(sagemaker, image, alarm="chat-errors")
    if cause == "alarm":
        cloudwatch.set_alarm_state(AlarmName="chat-errors", StateValue="ALARM", StateReason="t")
    during = _component(sagemaker)["InferenceComponentStatus"]
    clock.advance(SETTINGS.component_update_seconds)

    # Then the component is InService again on its old specification, without a reason
    described = _component(sagemaker)
    assert during == "Updating"
    assert described["InferenceComponentStatus"] == "InService"
    assert "Container" not in described["Specification"]
    assert "FailureReason" not in described
    assert described["RuntimeConfig"]["CurrentCopyCount"] == 1


def test_changes_are_refused_while_a_component_is_in_progress(
    sagemaker: BaseClient, clock: _Clock
) -> None:
    # Given a component still Creating
    _component_endpoint(sagemaker, clock)
    _create_component(sagemaker)

    # When it is updated, scaled and deleted
    refusals = []
    for call, params in (
        (sagemaker.update_inference_component, {"RuntimeConfig": {"CopyCount": 2}}),
        (
            sagemaker.update_inference_component_runtime_config,
            {"DesiredRuntimeConfig": {"CopyCount": 2}},
        ),
        (sagemaker.delete_inference_component, {}),
    ):
        with pytest.raises(ClientError) as raised:
            call(InferenceComponentName="chat", **params)
        refusals.append(_error(raised)["Message"])

    # Then SageMaker refuses all three, and the creation carries on
    arn = _arn("inference-component", "chat")
    assert refusals == [
        f'Cannot update in-progress inference component "{arn}".',
        f'Cannot update in-progress inference component "{arn}".',
        f'Cannot delete inference component "{arn}" while it is Creating.',
    ]
    clock.advance(SETTINGS.component_create_seconds)
    assert _copies(sagemaker)[0] == "InService"


def test_an_endpoint_with_components_is_deleted_only_after_them(
    sagemaker: BaseClient, clock: _Clock, simulator: SageMakerSimulator
) -> None:
    # Given an endpoint hosting a component
    _component_endpoint(sagemaker, clock)
    _in_service(sagemaker, clock)

    # When its model and the endpoint are deleted, then the component, then the endpoint
    sagemaker.delete_model(ModelName="llm-7b")
    with pytest.raises(ClientError) as raised:
        sagemaker.delete_endpoint(EndpointName="llm")
    sagemaker.delete_inference_component(InferenceComponentName="chat")
    deleting = _copies(sagemaker)[0]
    clock.advance(SETTINGS.component_delete_seconds)
    listed = sagemaker.list_inference_components()["InferenceComponents"]
    sagemaker.delete_endpoint(EndpointName="llm")

    # Then the endpoint waits for its component, which is Deleting then gone, and deleting the
    # model in use is misuse
    assert _error(raised) == {
        "Code": "ValidationException",
        "Message": "Cannot delete endpoint with inference component associated:"
        f' "{_arn("endpoint", "llm")}".',
    }
    assert (deleting, listed) == ("Deleting", [])
    assert sagemaker.describe_endpoint(EndpointName="llm")["EndpointStatus"] == "Deleting"
    assert simulator.misuse == ['DeleteModel "llm-7b" while inference component "chat" uses it']


def test_list_filters_sorts_and_pages(sagemaker: BaseClient, clock: _Clock) -> None:
    # Given three components, one of them still Creating
    _component_endpoint(sagemaker, clock)
    for name in ("chat-a", "chat-b"):
        _in_service(sagemaker, clock, name)
        clock.advance(1)
    _create_component(sagemaker, "summarize")

    # When they are listed by filters, and page by page
    def names(**params: Any) -> list[str]:
        listed = sagemaker.list_inference_components(**params)["InferenceComponents"]
        return [c["InferenceComponentName"] for c in listed]

    first = sagemaker.list_inference_components(MaxResults=2, SortOrder="Ascending")

    # Then each answer holds what the filters let through, newest first by default
    assert names() == ["summarize", "chat-b", "chat-a"]
    assert names(NameContains="CHAT", SortBy="Name", SortOrder="Ascending") == ["chat-a", "chat-b"]
    assert names(StatusEquals="Creating", EndpointNameEquals="llm") == ["summarize"]
    assert names(VariantNameEquals="Blue") == []
    assert [c["InferenceComponentName"] for c in first["InferenceComponents"]] == [
        "chat-a",
        "chat-b",
    ]
    assert names(NextToken=first["NextToken"], MaxResults=2, SortOrder="Ascending") == ["summarize"]


def test_tags_on_a_component_arn(sagemaker: BaseClient, clock: _Clock) -> None:
    # Given a component
    _component_endpoint(sagemaker, clock)
    _create_component(sagemaker)
    arn = _arn("inference-component", "chat")

    # When tags are added and one deleted
    sagemaker.add_tags(
        ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["a"])

    # Then ListTags shows the rest
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]


def _invoke_error(runtime: BaseClient, **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        runtime.invoke_endpoint(EndpointName="llm", Body=b"hi", **params)
    return _error(raised)


def test_invocations_go_to_a_named_component_with_copies(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock
) -> None:
    # Given a component endpoint with a component "chat"
    _component_endpoint(sagemaker, clock)
    _in_service(sagemaker, clock)

    # When it is invoked through "chat", without a component, through a missing one, and
    # through "chat" once it has no copies
    answer = runtime.invoke_endpoint(EndpointName="llm", Body=b"hi", InferenceComponentName="chat")
    unnamed = _invoke_error(runtime)
    missing = _invoke_error(runtime, InferenceComponentName="nowhere")
    sagemaker.update_inference_component_runtime_config(
        InferenceComponentName="chat", DesiredRuntimeConfig={"CopyCount": 0}
    )
    clock.advance(SETTINGS.component_update_seconds)
    empty = _invoke_error(runtime, InferenceComponentName="chat")

    # Then the component echoes, and the others fail with SageMaker Runtime's ValidationErrors
    assert (answer["Body"].read(), answer["InvokedProductionVariant"]) == (b"hi", "AllTraffic")
    assert unnamed["Code"] == missing["Code"] == empty["Code"] == "ValidationError"
    assert unnamed["Message"].startswith("Inference Component Name header is required")
    assert missing["Message"] == "Inference component nowhere not found for endpoint llm."
    assert empty["Message"] == NO_CAPACITY


def test_a_stateful_session_opens_serves_and_closes(
    sagemaker: BaseClient, runtime: BaseClient, clock: _Clock
) -> None:
    # Given a component endpoint with a component "chat"
    _component_endpoint(sagemaker, clock)
    _in_service(sagemaker, clock)
    chat = {"InferenceComponentName": "chat"}

    # When a session is opened, used, closed by the model, then used again
    opened = runtime.invoke_endpoint(EndpointName="llm", Body=b"1", SessionId="NEW_SESSION", **chat)
    session_id, expires = opened["NewSessionId"].split("; Expires=")
    used = runtime.invoke_endpoint(EndpointName="llm", Body=b"2", SessionId=session_id, **chat)
    closed = runtime.invoke_endpoint(
        EndpointName="llm",
        Body=b"3",
        SessionId=session_id,
        CustomAttributes="simulate-close-session",
        **chat,
    )
    after = _invoke_error(runtime, SessionId=session_id, **chat)

    # Then the session carries its expiry, serves until closed, and is refused afterwards
    assert expires.endswith("Z")
    assert "NewSessionId" not in used
    assert closed["ClosedSessionId"] == session_id
    assert after == {
        "Code": "ValidationError",
        "Message": f"Session {session_id} does not exist or was closed.",
    }


def test_reset_forgets_components(
    local_aws: LocalAws, sagemaker: BaseClient, clock: _Clock
) -> None:
    # Given a component
    _component_endpoint(sagemaker, clock)
    _create_component(sagemaker)

    # When LocalAws is reset
    local_aws.reset()

    # Then no component remains, and the name is free again
    assert sagemaker.list_inference_components()["InferenceComponents"] == []
    _component_endpoint(sagemaker, clock)
    _create_component(sagemaker)


def test_an_endpoint_update_keeps_its_components_and_places_them_again(
    sagemaker: BaseClient, clock: _Clock
) -> None:
    # Given a component of 3 one-GPU copies on an ml.g5.12xlarge (4 GPUs), and two new
    # configurations: one of an ml.g5.16xlarge (1 GPU), one that serves a model
    _component_endpoint(sagemaker, clock)
    _in_service(sagemaker, clock, copies=3)
    sagemaker.create_endpoint_config(
        EndpointConfigName="llm-small",
        ExecutionRoleArn=ROLE_ARN,
        ProductionVariants=[_variant(InstanceType="ml.g5.16xlarge")],
    )
    sagemaker.create_endpoint_config(
        EndpointConfigName="llm-model", ProductionVariants=[_variant(ModelName="llm-7b")]
    )

    # When the endpoint is updated to each
    with pytest.raises(ClientError) as raised:
        sagemaker.update_endpoint(EndpointName="llm", EndpointConfigName="llm-model")
    sagemaker.update_endpoint(EndpointName="llm", EndpointConfigName="llm-small")
    clock.advance(SETTINGS.update_seconds)

    # Then the one with a model is refused while the component remains, and on the smaller
    # instance only one copy finds room
    assert _error(raised)["Message"] == (
        f'Cannot update endpoint "{_arn("endpoint", "llm")}" to an endpoint configuration with'
        " models while inference components are deployed on it. Delete them first."
    )
    assert sagemaker.describe_endpoint(EndpointName="llm")["EndpointConfigName"] == "llm-small"
    assert _copies(sagemaker) == ("InService", 1, 3)
