"""Custom::SageMakerInferenceComponent's properties and desired state, and the endpoint that
hosts components: validated up front, every problem by path. Pure."""

from __future__ import annotations

import copy

import pytest

from endpoint_provider import scaling_requests
from endpoint_provider.endpoint.properties import parse_properties as parse_endpoint
from endpoint_provider.inference_component.desired import ComponentState, desired_state, serves
from endpoint_provider.inference_component.lifecycle import ComponentLifecycle
from endpoint_provider.inference_component.properties import parse_properties
from endpoint_provider.naming import COMPONENT_TAG, ENDPOINT_TAG
from endpoint_provider.property_errors import InvalidProperties
from endpoint_provider.request import ResourceRequest
from endpoint_provider.sagemaker_gateway import SageMakerGateway
from endpoint_provider.scaling_gateway import ScalingGateway
from endpoint_provider.settings import ProviderSettings
from tests.support.events import load_event
from tests.unit.stack_resource import DEFAULT_ROLE, STACK_ID


@pytest.fixture
def component() -> dict:
    return copy.deepcopy(load_event("create-inference-component.json")["ResourceProperties"])


@pytest.fixture
def hosting_endpoint() -> dict:
    return copy.deepcopy(load_event("create-component-endpoint.json")["ResourceProperties"])


def state_of(raw: dict) -> ComponentState:
    return desired_state(
        parse_properties(raw), stack_id=STACK_ID, logical_id="Chat", default_role_arn=DEFAULT_ROLE
    )


def problems_of(parse, raw: dict) -> list[str]:
    with pytest.raises(InvalidProperties) as raised:
        parse(raw)
    return raised.value.problems


def test_containers_become_a_content_named_model_the_specification_serves(component):
    # When the desired state is built from CloudFormation's strings
    desired = state_of(component)

    # Then the provider's model is named after the component and its content
    assert desired.model is not None
    assert desired.model.name.startswith(desired.name + "-")
    assert desired.model.request["ExecutionRoleArn"] == DEFAULT_ROLE
    # And the component's request serves it, with typed numbers
    request = desired.create_request("AllTraffic")
    assert request["Specification"]["ModelName"] == desired.model.name
    assert request["Specification"]["ComputeResourceRequirements"] == {
        "NumberOfAcceleratorDevicesRequired": 1.0,
        "MinMemoryRequiredInMb": 16384,
    }
    assert request["RuntimeConfig"] == {"CopyCount": 1}
    assert (request["EndpointName"], request["VariantName"]) == ("llm-gpu", "AllTraffic")
    # And it carries the owner's tags, its endpoint and its own name among them
    assert desired.tags[ENDPOINT_TAG] == "llm-gpu"
    assert desired.tags[COMPONENT_TAG] == desired.name.lower()


def test_a_new_artifact_gives_a_new_model_under_the_same_component(component):
    # Given the next version of the model's artifact
    changed = copy.deepcopy(component)
    changed["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-llm-models/chat/v2/model.tar.gz"

    # Then the component keeps its name, and its model is a new one
    before, after = state_of(component), state_of(changed)
    assert after.name == before.name
    assert after.model and before.model and after.model.name != before.model.name


def test_moving_the_component_derives_a_new_name_but_a_given_name_stays(component):
    # Given the same component on another endpoint, and on another variant
    moved = {**component, "EndpointName": "llm-gpu-2"}
    other_variant = {**component, "VariantName": "Blue"}

    # Then each derives a name of its own, within SageMaker's 63 characters
    names = {state_of(raw).name for raw in (component, moved, other_variant)}
    assert len(names) == 3
    assert all(len(name) <= 63 for name in names)
    # And a name the user gives is kept as given
    assert state_of({**moved, "InferenceComponentName": "chat"}).name == "chat"


def test_an_existing_model_or_an_inline_container_needs_no_model_of_ours(component):
    # Given components that name an existing model, and an inline container
    del component["PrimaryContainer"]
    named = copy.deepcopy(component)
    named["Specification"]["ModelName"] = "registry-llama"
    inline = copy.deepcopy(component)
    inline["Specification"]["Container"] = {"Image": "tgi", "ArtifactUrl": "s3://b/chat.tar.gz"}

    # Then neither makes a model
    assert state_of(named).model is None
    assert state_of(named).model_names == ["registry-llama"]
    assert state_of(inline).model is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda raw: raw.update(Specifications=[raw["Specification"]]),
            ["Specification: give exactly one of Specification and Specifications"],
        ),
        (
            lambda raw: raw["Specification"].update(ModelName="registry-llama"),
            ["Specification.ModelName: the model comes from PrimaryContainer; not both"],
        ),
        (
            lambda raw: raw.pop("PrimaryContainer"),
            [
                "Specification: needs ModelName, Container or BaseInferenceComponentName (or "
                "give PrimaryContainer: the provider then makes the model)"
            ],
        ),
        (
            lambda raw: raw["Specification"].pop("ComputeResourceRequirements"),
            [
                "Specification.ComputeResourceRequirements: required, except for an adapter "
                "(BaseInferenceComponentName)"
            ],
        ),
        (
            lambda raw: raw["Specification"]["ComputeResourceRequirements"].update(
                MaxMemoryRequiredInMb="1024"
            ),
            [
                "Specification.ComputeResourceRequirements.MaxMemoryRequiredInMb: must be >= "
                "MinMemoryRequiredInMb (16384)"
            ],
        ),
        (
            lambda raw: raw.update(RuntimeConfig={"CopyCount": "-1"}),
            ["RuntimeConfig.CopyCount: must be >= 0"],
        ),
        (
            lambda raw: raw.update(Specfication={}),
            ["Specfication: unknown property (did you mean Specification?)"],
        ),
        (lambda raw: raw.pop("EndpointName"), ["EndpointName: required"]),
        (
            lambda raw: (
                raw.pop("PrimaryContainer"),
                raw["Specification"].update(BaseInferenceComponentName="llama-base"),
            ),
            [
                "Specification.ComputeResourceRequirements: not for an adapter: it runs on its "
                "base component's compute"
            ],
        ),
    ],
)
def test_invalid_components_are_reported_by_path(component, change, expected):
    # Given one mistake
    change(component)

    # When parsed, Then it is reported where it is
    assert problems_of(parse_properties, component) == expected


def test_model_settings_without_containers_are_refused(component):
    # Given a component naming an existing model, yet an execution role for a model of ours
    del component["PrimaryContainer"]
    component["Specification"]["ModelName"] = "registry-llama"
    component["ExecutionRoleArn"] = DEFAULT_ROLE

    # When parsed, Then the role is said to belong to a model the provider would make
    assert problems_of(parse_properties, component) == [
        "ExecutionRoleArn: describes the model made of PrimaryContainer or Containers: give one"
    ]


def test_no_copies_at_creation_is_refused_before_anything_is_made(component):
    # Given a component created with no copies, which SageMaker refuses at creation
    component["RuntimeConfig"] = {"CopyCount": "0"}
    lifecycle = ComponentLifecycle(
        SageMakerGateway(client=None),
        ScalingGateway(None, None),
        ProviderSettings(DEFAULT_EXECUTION_ROLE_ARN=DEFAULT_ROLE),
    )

    # When its Create is parsed, Then it fails with what to do; an Update may go to zero
    create = ResourceRequest("Create", STACK_ID, "Chat", component)
    with pytest.raises(InvalidProperties, match=r"RuntimeConfig\.CopyCount: must be at least 1"):
        lifecycle.desired(component, create)
    update = ResourceRequest("Update", STACK_ID, "Chat", component)
    assert lifecycle.desired(component, update).copies == 0


def test_a_described_component_serves_the_specification_it_was_given(component):
    # Given the desired state and the component SageMaker describes for it
    desired = state_of(component)
    requested = desired.specifications[0]
    described = {
        "Specification": {
            **requested,
            "Container": {"DeployedImage": {"SpecifiedImage": "tgi", "ResolvedImage": "tgi@sha"}},
            "DataCacheConfig": {"EnableCaching": True},
        }
    }

    # Then it serves it, whatever SageMaker adds (a resolved image, caching it chose)
    assert serves(described, desired)
    # And a rolled-back component, on the previous model, does not
    previous = {"Specification": {**requested, "ModelName": "chat-previous"}}
    assert not serves(previous, desired)


def test_specifications_per_instance_type_match_in_any_order(component):
    # Given a component with a specification per instance type
    spec = component.pop("Specification")
    component["Specifications"] = [
        {**spec, "InstanceType": "ml.g6.12xlarge"},
        {**spec, "InstanceType": "ml.g5.12xlarge"},
    ]
    desired = state_of(component)

    # When SageMaker describes them in another order, Then the component serves them
    described = {"Specifications": list(reversed(desired.specifications))}
    assert serves(described, desired)


def test_an_endpoint_with_no_model_hosts_components(hosting_endpoint, state):
    # When the desired state of an endpoint with no model anywhere is built
    desired = state(hosting_endpoint)

    # Then it makes no model, its variants name none, and the config has the default role
    assert desired.models == ()
    variant = desired.config.request["ProductionVariants"][0]
    assert "ModelName" not in variant
    assert variant["ManagedInstanceScaling"] == {
        "Status": "ENABLED",
        "MinInstanceCount": 1,
        "MaxInstanceCount": 2,
    }
    assert desired.config.request["ExecutionRoleArn"] == DEFAULT_ROLE
    assert "ModelName" not in desired.attributes("arn:aws:sagemaker:us-east-1:1:endpoint/x")


def test_an_endpoint_that_hosts_components_refuses_what_only_models_do(hosting_endpoint):
    # Given serverless, async and variant autoscaling on an endpoint for components
    variant = hosting_endpoint["ProductionVariants"][0]
    variant["AutoScaling"] = {
        "MinCapacity": "1",
        "MaxCapacity": "2",
        "TargetInvocationsPerInstance": "5",
    }
    hosting_endpoint["AsyncInferenceConfig"] = {"OutputConfig": {"S3OutputPath": "s3://b/o/"}}

    # When parsed, Then each is refused where it is
    problems = problems_of(parse_endpoint, hosting_endpoint)
    assert problems[0] == (
        "AsyncInferenceConfig: not supported on an endpoint that hosts inference components"
    )
    assert problems[1].startswith(
        "ProductionVariants[0].AutoScaling: not supported on an endpoint that hosts inference "
        "components: each component scales its copies"
    )


def test_managed_instance_scaling_is_only_for_component_endpoints(endpoint_properties):
    # Given managed instance scaling on an endpoint that serves a model
    endpoint_properties["ProductionVariants"][0]["ManagedInstanceScaling"] = {
        "Status": "ENABLED",
        "MinInstanceCount": "2",
        "MaxInstanceCount": "1",
    }

    # When parsed, Then both mistakes are reported by path
    assert set(problems_of(parse_endpoint, endpoint_properties)) == {
        "ProductionVariants[0].ManagedInstanceScaling: only for an endpoint that hosts "
        "inference components: give no PrimaryContainer, Containers or ModelName",
        "ProductionVariants[0].ManagedInstanceScaling.MinInstanceCount: must be <= "
        "MaxInstanceCount (1)",
    }


def test_copies_scale_to_zero_and_come_back_through_the_no_capacity_alarm(component):
    # Given copies tracking invocations between zero and four
    del component["RuntimeConfig"]
    component["AutoScaling"] = {
        "MinCopies": "0",
        "MaxCopies": "4",
        "TargetInvocationsPerCopy": "10",
        "ScaleInCooldown": "300",
    }

    # When the desired state is built
    desired = state_of(component)
    scaling = desired.scaling
    assert scaling is not None and scaling.from_zero is not None

    # Then the component starts with one copy (SageMaker refuses zero at creation)
    assert desired.copies == 1
    # And target tracking holds invocations per copy on the component's copy count
    target = scaling_requests.scalable_target(scaling)
    assert target["ResourceId"] == f"inference-component/{desired.name}"
    assert target["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 4)
    tracking = scaling_requests.tracking_policy(scaling)["TargetTrackingScalingPolicyConfiguration"]
    assert tracking["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"
    }
    # And a request finding no copy fires the alarm whose step policy adds one
    alarm = scaling_requests.from_zero_alarm(scaling, scaling.from_zero, "arn:policy")
    assert alarm["AlarmName"] == f"{desired.name}-no-capacity"
    assert (alarm["MetricName"], alarm["Dimensions"]) == (
        "NoCapacityInvocationFailures",
        [{"Name": "InferenceComponentName", "Value": desired.name}],
    )
    assert {tag["Key"] for tag in alarm["Tags"]} >= {COMPONENT_TAG, ENDPOINT_TAG}
    # And an update never sends copies: they are scaling's
    assert "RuntimeConfig" not in desired.update_request(None)


@pytest.mark.parametrize(
    ("scaling", "runtime", "expected"),
    [
        (
            {"MinCopies": "2", "MaxCopies": "1", "TargetInvocationsPerCopy": "5"},
            None,
            "AutoScaling.MinCopies: must be <= MaxCopies (1)",
        ),
        (
            {"MinCopies": "1", "MaxCopies": "2"},
            None,
            "AutoScaling: give one target: TargetInvocationsPerCopy or "
            "TargetConcurrentRequestsPerCopy",
        ),
        (
            {"MinCopies": "1", "MaxCopies": "2", "TargetConcurrentRequestsPerCopy": "4"},
            {"CopyCount": "3"},
            "RuntimeConfig.CopyCount: 3 must lie within AutoScaling's MinCopies 1 and MaxCopies 2",
        ),
    ],
)
def test_invalid_copy_scaling_is_reported_by_path(component, scaling, runtime, expected):
    component["AutoScaling"] = scaling
    if runtime:
        component["RuntimeConfig"] = runtime
    assert problems_of(parse_properties, component) == [expected]


def test_the_initial_instances_lie_within_managed_instance_scaling(hosting_endpoint):
    # Given an endpoint starting with fewer instances than its managed scaling's minimum
    hosting_endpoint["ProductionVariants"][0]["ManagedInstanceScaling"]["MinInstanceCount"] = "2"

    # When parsed, Then the initial count is named with the range it must lie in
    assert problems_of(parse_endpoint, hosting_endpoint) == [
        "ProductionVariants[0].InitialInstanceCount: 1 must lie within ManagedInstanceScaling's "
        "MinInstanceCount 2 and MaxInstanceCount 2"
    ]
