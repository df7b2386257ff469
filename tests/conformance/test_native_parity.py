"""Every property of the native AWS::SageMaker::Model, ::EndpointConfig, ::Endpoint and
::InferenceComponent schemas (as cfn-lint bundles them) and every member of SageMaker's requests
(as botocore describes them) is accepted by Custom::SageMakerEndpoint or
Custom::SageMakerInferenceComponent and reaches its request, or is on a short, reasoned
allow-list. A schema or botocore upgrade that adds a property fails here until the provider
supports it."""

from __future__ import annotations

import pytest
from botocore.model import Shape

from endpoint_provider.api_shapes import checkable, input_shape
from tests.conformance.parity import (
    ALLOWED,
    COMPONENT,
    ENDPOINT,
    FIGURES,
    KINDS,
    Case,
    botocore_cases,
    read_only_paths,
    run,
    schema_cases,
)

SCHEMA_CASES = [case for kind in KINDS for case in schema_cases(kind)]
BOTOCORE_CASES = [case for kind in KINDS for case in botocore_cases(kind)]


def _check(case: Case, source: str) -> None:
    # When the property set with this path is parsed, checked and turned into requests
    outcome = run(case)
    figure = f"{case.kind.resource_type} {source}"
    FIGURES[f"{figure} paths"] += 1
    FIGURES["invalid requests"] += outcome.invalid_requests

    # Then it is accepted, every request is valid by botocore, and the value arrives
    assert outcome.accepted, f"{case.source} {case.path} -> {case.merged}: {outcome.detail}"
    assert outcome.invalid_requests == 0
    top = case.merged.split(".")[0].removesuffix("[]")
    if top in case.kind.not_delivered:
        FIGURES[f"{figure} allowed"] += 1
        ALLOWED[f"{case.source} {case.path}"] = case.kind.not_delivered[top]
        return
    assert outcome.delivered, f"{case.source} {case.path} -> {case.merged}: {outcome.detail}"
    FIGURES[f"{figure} delivered"] += 1


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=lambda c: f"{c.source}:{c.path}")
def test_every_native_schema_path_is_accepted_and_delivered(case: Case) -> None:
    _check(case, "schema")


@pytest.mark.parametrize("case", BOTOCORE_CASES, ids=lambda c: f"{c.source}:{c.path}")
def test_every_request_member_botocore_knows_is_accepted_and_delivered(case: Case) -> None:
    _check(case, "botocore")


def test_only_read_only_properties_are_left_out_of_the_schema_walk() -> None:
    # Given the native schemas, Then what the walk skips is exactly their read-only properties
    assert read_only_paths(ENDPOINT) == [
        "AWS::SageMaker::Model ModelArn",
        "AWS::SageMaker::EndpointConfig EndpointConfigArn",
        "AWS::SageMaker::Endpoint EndpointArn",
    ]
    assert read_only_paths(COMPONENT) == [
        "AWS::SageMaker::InferenceComponent InferenceComponentArn",
        "AWS::SageMaker::InferenceComponent Specification.Container.DeployedImage",
        "AWS::SageMaker::InferenceComponent Specification.CurrentDataCacheConfig",
        "AWS::SageMaker::InferenceComponent Specifications[].CurrentDataCacheConfig",
        "AWS::SageMaker::InferenceComponent RuntimeConfig.DesiredCopyCount",
        "AWS::SageMaker::InferenceComponent RuntimeConfig.CurrentCopyCount",
        "AWS::SageMaker::InferenceComponent RuntimeConfig.PlacementStatus",
        "AWS::SageMaker::InferenceComponent CreationTime",
        "AWS::SageMaker::InferenceComponent LastModifiedTime",
        "AWS::SageMaker::InferenceComponent FailureReason",
        "AWS::SageMaker::InferenceComponent InferenceComponentStatus",
    ]
    assert len(SCHEMA_CASES) > 250


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        ("sagemaker", "CreateModel"),
        ("sagemaker", "CreateEndpointConfig"),
        ("sagemaker", "CreateEndpoint"),
        ("sagemaker", "UpdateEndpoint"),
        ("sagemaker", "CreateInferenceComponent"),
        ("sagemaker", "UpdateInferenceComponent"),
        ("sagemaker", "UpdateInferenceComponentRuntimeConfig"),
        ("application-autoscaling", "RegisterScalableTarget"),
        ("application-autoscaling", "PutScalingPolicy"),
        ("cloudwatch", "PutMetricAlarm"),
    ],
)
def test_every_pattern_the_provider_checks_can_be_evaluated(service: str, operation: str) -> None:
    # Given every pattern in the input shape of a request the provider sends
    patterns = _patterns(input_shape(service, operation), set())

    # Then the provider's check can evaluate each (none is skipped as beyond both engines)
    assert patterns
    assert [pattern for pattern in patterns if not checkable(pattern)] == []


def _patterns(shape: Shape, seen: set[str]) -> set[str]:
    if shape.name in seen:
        return set()
    seen.add(shape.name)
    found = {shape.metadata["pattern"]} if "pattern" in shape.metadata else set()
    children = {
        "structure": lambda: list(shape.members.values()),
        "list": lambda: [shape.member],
        "map": lambda: [shape.key, shape.value],
    }.get(shape.type_name, list)()
    for child in children:
        found |= _patterns(child, seen)
    return found
