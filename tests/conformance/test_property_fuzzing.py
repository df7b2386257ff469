"""Hostile property sets, generated with a fixed seed, through the provisioner's front door:
it never crashes, never calls AWS for properties it rejects, and every reason fits what
CloudFormation shows while naming the property at fault. A rollback, whose old properties are
the ones that just failed, is never stopped by them."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpoint_provider.cloudformation.reasons import REASON_LIMIT, answer_reason
from endpoint_provider.endpoint.lifecycle import EndpointLifecycle
from endpoint_provider.endpoint.properties import parse_properties
from endpoint_provider.inference_component.lifecycle import ComponentLifecycle
from endpoint_provider.inference_component.properties import (
    parse_properties as parse_component,
)
from endpoint_provider.property_errors import InvalidProperties
from endpoint_provider.request import Budget, Failed, ResourceRequest
from endpoint_provider.sagemaker_gateway import SageMakerGateway
from endpoint_provider.scaling_gateway import ScalingGateway
from endpoint_provider.settings import ProviderSettings
from tests.conformance.parity import DEFAULT_ROLE, FIGURES, IMAGE, STACK_ID

pytestmark = pytest.mark.usefixtures("generation_independent_of_loaded_code")

ENDPOINT = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn"
LOG_STREAM = "2026/11/30/[$LATEST]0123456789abcdef0123456789abcdef"
EXAMPLES = 300
ROLLBACK_EXAMPLES = 100
# A template may hold them: Python refuses to convert more than 4300 digits to an integer.
HUGE_INTEGER = "9" * 100_000
LONG_KEY = "K" * 5_000
BASE = {
    "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
    "ServiceTimeout": "3600",
    "EndpointName": "churn",
    "PrimaryContainer": {"Image": IMAGE, "Environment": {"SAGEMAKER_PROGRAM": "serve.py"}},
    "ProductionVariants": [
        {
            "VariantName": "AllTraffic",
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": "2",
            "AutoScaling": {
                "MinCapacity": "1",
                "MaxCapacity": "4",
                "TargetInvocationsPerInstance": "100",
            },
        }
    ],
    "AsyncInferenceConfig": {"OutputConfig": {"S3OutputPath": "s3://bucket/out/"}},
    "DeploymentConfig": {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": "0"}
        }
    },
    "Tags": [{"Key": "team", "Value": "churn"}],
}

COMPONENT_EXAMPLES = 150
COMPONENT_BASE = {
    "ServiceToken": BASE["ServiceToken"],
    "EndpointName": "llm",
    "PrimaryContainer": {"Image": IMAGE, "Environment": {"HF_MODEL_ID": "/opt/ml/model"}},
    "Specification": {
        "ComputeResourceRequirements": {
            "NumberOfAcceleratorDevicesRequired": "1",
            "MinMemoryRequiredInMb": "1024",
        }
    },
    "RuntimeConfig": {"CopyCount": "1"},
    "DeploymentConfig": {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": "1"},
            "WaitIntervalInSeconds": "60",
        }
    },
    "Tags": [{"Key": "team", "Value": "chat"}],
}


@dataclass(frozen=True)
class FuzzedKind:
    resource_type: str
    base: dict[str, Any]
    physical_id: str
    provisioner: Any
    parse: Any


ENDPOINT_KIND = FuzzedKind(
    "Custom::SageMakerEndpoint", BASE, ENDPOINT, EndpointLifecycle.provisioner, parse_properties
)
COMPONENT_KIND = FuzzedKind(
    "Custom::SageMakerInferenceComponent",
    COMPONENT_BASE,
    "arn:aws:sagemaker:us-east-1:123456789012:inference-component/chat",
    ComponentLifecycle.provisioner,
    parse_component,
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(
        ["", "inf", "-Infinity", "1e400", "NaN", "true", "0", "ml.m5.large", HUGE_INTEGER]
    )
    | st.text(max_size=300)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=40), inner),
    max_leaves=8,
)


def recording_provisioner(calls: list[str], build: Any = EndpointLifecycle.provisioner) -> Any:
    client = RecordingClient(calls)
    return build(
        SageMakerGateway(client),
        ScalingGateway(client, client),
        ProviderSettings(DEFAULT_EXECUTION_ROLE_ARN=DEFAULT_ROLE),
        clock=lambda: 1_000_000.0,
        sleep=lambda seconds: None,
    )


class RecordingClient:
    """Stands in for every AWS client: records each call and refuses it, so a valid property
    set fails at its first call instead of needing a fake SageMaker."""

    def __init__(self, calls: list[str]):
        self._calls = calls

    def __getattr__(self, operation: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append(operation)
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "fuzz"}}, operation)

        return call


def _locations(node: Any, found: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        for key, child in node.items():
            found.append((node, key))
            _locations(child, found)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found.append((node, index))
            _locations(child, found)
    return found


@st.composite
def hostile_properties(draw: st.DrawFn, base: dict[str, Any] = BASE) -> Any:
    """A valid resource with one to three values replaced, added or removed; now and then
    something that is not a map at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(json_values)
    properties = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        container, key = draw(st.sampled_from(_locations(properties, [])))
        action = draw(st.sampled_from(["replace", "add", "remove"]))
        if action == "replace":
            container[key] = draw(json_values)
        elif action == "add" and isinstance(container, dict):
            container[draw(st.text(max_size=70) | st.just(LONG_KEY))] = draw(json_values)
        elif isinstance(container, dict):
            container.pop(key, None)
    return properties


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    properties=hostile_properties(), request_type=st.sampled_from(["Create", "Update", "Delete"])
)
def test_hostile_properties_fail_cleanly_before_any_call(
    properties: Any, request_type: str
) -> None:
    _fails_cleanly_before_any_call(ENDPOINT_KIND, properties, request_type)


@settings(
    max_examples=COMPONENT_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    properties=hostile_properties(COMPONENT_BASE),
    request_type=st.sampled_from(["Create", "Update", "Delete"]),
)
def test_hostile_component_properties_fail_cleanly_before_any_call(
    properties: Any, request_type: str
) -> None:
    _fails_cleanly_before_any_call(COMPONENT_KIND, properties, request_type)


def _fails_cleanly_before_any_call(kind: FuzzedKind, properties: Any, request_type: str) -> None:
    # Given a provisioner whose every AWS call is recorded
    calls: list[str] = []
    provisioner = recording_provisioner(calls, kind.provisioner)
    request = ResourceRequest(
        request_type,
        STACK_ID,
        "Resource",
        properties,
        old_properties=kind.base,
        physical_id=kind.physical_id,
        resource_type=kind.resource_type,
    )
    FIGURES["fuzzing inputs"] += 1

    # When it handles a request with them
    try:
        outcome = provisioner.handle(request, provisioner.start(request), Budget(lambda: 900.0, 60))
    except Exception:
        FIGURES["fuzzing crashes"] += 1
        raise

    # Then the answer is a FAILED whose reason fits, and rejected properties made no call
    assert isinstance(outcome, Failed)
    reason = answer_reason(outcome, LOG_STREAM)
    assert len(reason) <= REASON_LIMIT
    if request_type == "Delete":
        # A Delete removes what the physical ID names, whatever the properties say.
        return
    try:
        kind.parse(properties)
    except InvalidProperties as error:
        FIGURES["fuzzing rejected"] += 1
        FIGURES["fuzzing calls on rejected"] += len(calls)
        assert calls == [], f"calls on rejected properties: {calls}"
        # And every problem names its property; the first one's path shows in the reason
        assert all(len(problem) <= REASON_LIMIT for problem in error.problems)
        assert all(": " in problem and problem.partition(": ")[0] for problem in error.problems)
        assert error.problems[0].partition(": ")[0] in reason


@settings(
    max_examples=ROLLBACK_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(failed_properties=hostile_properties())
def test_a_rollback_is_never_stopped_by_the_properties_that_failed(failed_properties: Any) -> None:
    # Given the rollback of an update: the properties that failed are now the old ones
    calls: list[str] = []
    provisioner = recording_provisioner(calls)
    rollback = ResourceRequest(
        "Update", STACK_ID, "Endpoint", BASE, old_properties=failed_properties, physical_id=ENDPOINT
    )
    FIGURES["fuzzing inputs"] += 1

    # When the provider handles it
    try:
        outcome = provisioner.handle(
            rollback, provisioner.start(rollback), Budget(lambda: 900.0, 60)
        )
    except Exception:
        FIGURES["fuzzing crashes"] += 1
        raise

    # Then it goes on to SageMaker (which, here, refuses every call) whatever they hold
    assert calls, "the rollback stopped before its first call"
    assert isinstance(outcome, Failed) and "refused: fuzz" in outcome.reason
