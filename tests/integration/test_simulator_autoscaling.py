"""The local AWS scales inference components on simulated time as Application Auto Scaling,
CloudWatch and managed instance scaling do: out with traffic, in to zero when it stops, and
back from zero through an alarm on NoCapacityInvocationFailures and a step scaling policy.
"""

from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from localaws.sagemaker import SageMakerSimulator
from localaws.server import LocalAws
from tests.integration import test_simulator_inference_components as components_test
from tests.integration.test_simulator_inference_components import (
    IMAGE,
    ROLE_ARN,
    SETTINGS,
    _client,
    _Clock,
)

TARGET = {
    "ServiceNamespace": "sagemaker",
    "ResourceId": "inference-component/chat",
    "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
}


# The same server and clock fixtures as the inference component tests, this module's own.
local_aws = components_test.local_aws
clock = components_test.clock


@pytest.fixture
def simulator(local_aws: LocalAws, clock: _Clock) -> SageMakerSimulator:
    return local_aws.simulator


@pytest.fixture
def clients(local_aws: LocalAws, clock: _Clock) -> dict[str, BaseClient]:
    return {
        service: _client(local_aws, service)
        for service in ("sagemaker", "sagemaker-runtime", "application-autoscaling", "cloudwatch")
    }


def _scaled_component(
    clients: dict[str, BaseClient], clock: _Clock, copies: int, **target: Any
) -> None:
    """Component "chat" of `copies` one-GPU copies on endpoint "llm" (ml.g5.12xlarge, 4 GPUs,
    managed scaling from 0 to 2 instances), a scalable target from 0 to 8 copies, and target
    tracking at 2 invocations per copy."""
    sagemaker = clients["sagemaker"]
    sagemaker.create_model(
        ModelName="llm-7b", ExecutionRoleArn=ROLE_ARN, PrimaryContainer={"Image": IMAGE}
    )
    scaling = {"Status": "ENABLED", "MinInstanceCount": 0, "MaxInstanceCount": 2}
    sagemaker.create_endpoint_config(
        EndpointConfigName="llm-config",
        ExecutionRoleArn=ROLE_ARN,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": "ml.g5.12xlarge",
                "InitialInstanceCount": 1,
                "ManagedInstanceScaling": scaling,
            }
        ],
    )
    sagemaker.create_endpoint(EndpointName="llm", EndpointConfigName="llm-config")
    clock.advance(SETTINGS.create_seconds)
    sagemaker.create_inference_component(
        InferenceComponentName="chat",
        EndpointName="llm",
        Specification={
            "ModelName": "llm-7b",
            "ComputeResourceRequirements": {
                "NumberOfAcceleratorDevicesRequired": 1,
                "MinMemoryRequiredInMb": 1024,
            },
        },
        RuntimeConfig={"CopyCount": copies},
    )
    clock.advance(SETTINGS.component_create_seconds)
    autoscaling = clients["application-autoscaling"]
    autoscaling.register_scalable_target(**TARGET, MinCapacity=0, MaxCapacity=8, **target)
    _track_invocations(autoscaling, ScaleInCooldown=60, ScaleOutCooldown=60)


def _track_invocations(autoscaling: BaseClient, **config: Any) -> None:
    """Target tracking at 2 invocations per copy."""
    autoscaling.put_scaling_policy(
        PolicyName="chat-invocations",
        PolicyType="TargetTrackingScaling",
        **TARGET,
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 2.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"
            },
            **config,
        },
    )


def _state(clients: dict[str, BaseClient]) -> tuple[int, int]:
    """(the component's current copies, the endpoint's instances)."""
    sagemaker = clients["sagemaker"]
    copies = sagemaker.describe_inference_component(InferenceComponentName="chat")
    [variant] = sagemaker.describe_endpoint(EndpointName="llm")["ProductionVariants"]
    return copies["RuntimeConfig"]["CurrentCopyCount"], variant["CurrentInstanceCount"]


def _invoke(clients: dict[str, BaseClient], times: int) -> None:
    for _ in range(times):
        clients["sagemaker-runtime"].invoke_endpoint(
            EndpointName="llm", Body=b"hi", InferenceComponentName="chat"
        )


def test_copies_follow_traffic_out_in_to_zero_and_back(
    clients: dict[str, BaseClient], clock: _Clock, simulator: SageMakerSimulator
) -> None:
    # Given a component of one copy tracking 2 invocations per copy, and a step policy (+1
    # copy) run by an alarm on its invocations that found no capacity
    _scaled_component(clients, clock, copies=1)
    step = clients["application-autoscaling"].put_scaling_policy(
        PolicyName="chat-from-zero",
        PolicyType="StepScaling",
        **TARGET,
        StepScalingPolicyConfiguration={
            "AdjustmentType": "ChangeInCapacity",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
            "MetricAggregationType": "Maximum",
        },
    )
    clients["cloudwatch"].put_metric_alarm(
        AlarmName="chat-no-capacity",
        Namespace="AWS/SageMaker",
        MetricName="NoCapacityInvocationFailures",
        Dimensions=[{"Name": "InferenceComponentName", "Value": "chat"}],
        Statistic="Maximum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[step["PolicyARN"]],
    )
    clock.advance(60 - clock.now % 60)

    # When it gets 6 invocations a minute for 3 minutes
    for _ in range(3):
        _invoke(clients, 6)
        clock.advance(60)
    clock.advance(SETTINGS.component_update_seconds)
    busy = _state(clients)

    # Then after 3 datapoints above the target it runs ceil(1 x 6 / 2) = 3 copies
    assert busy == (3, 1)

    # And when traffic stops for 15 minutes, copies and then instances go to zero
    clock.advance(15 * 60)
    simulator.advance()
    idle = _state(clients)
    assert idle == (0, 0)

    # And an invocation then fails for lack of capacity, the alarm runs the step policy, and a
    # copy comes back on a new instance
    with pytest.raises(ClientError) as raised:
        _invoke(clients, 1)
    assert raised.value.response["Error"]["Message"].startswith(
        "Inference Component has no capacity to process this request."
    )
    clock.advance(60 + SETTINGS.component_update_seconds)
    assert _state(clients) == (1, 1)
    alarm = clients["cloudwatch"].describe_alarms(AlarmNames=["chat-no-capacity"])
    assert alarm["MetricAlarms"][0]["StateValue"] == "ALARM"
    metrics = clients["cloudwatch"].list_metrics(
        Namespace="AWS/SageMaker", MetricName="NoCapacityInvocationFailures"
    )["Metrics"]
    assert metrics[0]["Dimensions"] == [{"Name": "InferenceComponentName", "Value": "chat"}]


@pytest.mark.parametrize(
    ("target", "policy_change", "copies"),
    [
        ({}, {}, 0),
        ({"SuspendedState": {"DynamicScalingInSuspended": True}}, {}, 2),
        ({}, {"DisableScaleIn": True}, 2),
    ],
    ids=["scales-in", "scale-in-suspended", "scale-in-disabled"],
)
def test_scale_in_waits_for_quiet_and_respects_suspension(
    clients: dict[str, BaseClient],
    clock: _Clock,
    simulator: SageMakerSimulator,
    target: dict[str, Any],
    policy_change: dict[str, Any],
    copies: int,
) -> None:
    # Given a component of 2 copies without traffic, its scale-in suspended, disabled or not
    _scaled_component(clients, clock, copies=2, **target)
    if policy_change:
        _track_invocations(clients["application-autoscaling"], **policy_change)

    # When 14 quiet minutes pass, then 2 more
    clock.advance(14 * 60)
    simulator.advance()
    early = _state(clients)[0]
    clock.advance(2 * 60)
    simulator.advance()

    # Then nothing moves before 15 quiet datapoints, and afterwards only an enabled scale-in
    assert early == 2
    assert _state(clients)[0] == copies
