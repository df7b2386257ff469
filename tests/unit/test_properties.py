"""The property model: CloudFormation's strings coerced by schema, every problem by path."""

from __future__ import annotations

import copy

import pytest

from endpoint_provider.endpoint.properties import parse_properties
from endpoint_provider.property_errors import InvalidProperties


def problems_of(raw: dict) -> list[str]:
    with pytest.raises(InvalidProperties) as raised:
        parse_properties(raw)
    return raised.value.problems


def test_string_scalars_are_coerced_by_schema(endpoint_properties):
    # Given properties as CloudFormation sends them, with numbers and booleans as strings
    endpoint_properties["EnableNetworkIsolation"] = "true"
    endpoint_properties["ProductionVariants"][0].update(
        {"InitialInstanceCount": "3", "InitialVariantWeight": "0.5", "VolumeSizeInGB": "30"}
    )

    # When they are parsed
    properties = parse_properties(endpoint_properties)

    # Then each value has the type SageMaker's API expects
    variant = properties.ProductionVariants[0]
    assert variant.InitialInstanceCount == 3
    assert variant.InitialVariantWeight == 0.5
    assert variant.VolumeSizeInGB == 30
    assert isinstance(variant.InitialVariantWeight, float)
    assert properties.EnableNetworkIsolation is True
    assert properties.ServiceTimeout == 3600


def test_defaults_match_the_native_resources(endpoint_properties):
    # Given a variant that states only its instance type
    endpoint_properties["ProductionVariants"] = [{"InstanceType": "ml.m5.large"}]

    # When parsed
    variant = parse_properties(endpoint_properties).ProductionVariants[0]

    # Then it gets SageMaker's usual single-variant defaults
    assert (variant.VariantName, variant.instance_count) == ("AllTraffic", 1)


def test_every_problem_is_reported_with_its_path(endpoint_properties):
    # Given properties with several independent mistakes
    raw = copy.deepcopy(endpoint_properties)
    raw["ProductionVariants"] = [
        {"InstanceType": "m5.large", "InitialInstanceCount": "0"},
        {"VariantName": "B", "InstanceType": "ml.m5.large", "InitialInstanceCount": "two"},
    ]
    raw["EnableNetworkIsolation"] = "maybe"
    raw["ServiceTimeout"] = "7200"

    # When parsed
    problems = problems_of(raw)

    # Then each mistake is named by its property path, all at once
    assert "ProductionVariants[0].InitialInstanceCount: must be >= 1" in problems
    assert "ProductionVariants[1].InitialInstanceCount: must be an integer, got 'two'" in problems
    assert any(
        p.startswith("ProductionVariants[0].InstanceType: must be one of the") for p in problems
    )
    assert "EnableNetworkIsolation: must be true or false, got 'maybe'" in problems
    assert "ServiceTimeout: must be <= 3600" in problems
    assert len(problems) == 5


def test_unknown_properties_are_rejected_with_a_suggestion(endpoint_properties):
    # Given a typo in a nested property name
    endpoint_properties["ProductionVariants"][0]["VolumeSizeInGb"] = "30"

    # When parsed
    problems = problems_of(endpoint_properties)

    # Then the problem points at the typo and suggests the right name
    assert problems == [
        "ProductionVariants[0].VolumeSizeInGb: unknown property (did you mean VolumeSizeInGB?)"
    ]


def test_required_properties_are_reported(endpoint_properties):
    # Given a resource without variants
    del endpoint_properties["ProductionVariants"]

    # When parsed, Then the missing property is named
    assert problems_of(endpoint_properties) == ["ProductionVariants: required"]


def test_primary_container_and_containers_exclude_each_other(endpoint_properties):
    # Given both container forms at once
    endpoint_properties["Containers"] = [endpoint_properties["PrimaryContainer"]]

    # When parsed, Then the conflict is reported
    assert problems_of(endpoint_properties) == [
        "Containers: give PrimaryContainer or Containers, not both"
    ]


def test_a_model_is_required_unless_every_variant_brings_its_own(endpoint_properties):
    # Given no resource-level container, and two variants of which only one names a model
    del endpoint_properties["PrimaryContainer"]
    endpoint_properties["ProductionVariants"] = [
        {"VariantName": "A", "InstanceType": "ml.m5.large", "ModelName": "registry-model"},
        {"VariantName": "B", "InstanceType": "ml.m5.large"},
    ]

    # When parsed, Then the missing model is reported
    assert problems_of(endpoint_properties) == [
        "PrimaryContainer: required unless every variant has Containers or ModelName (or none "
        "has: an endpoint that hosts inference components)"
    ]

    # And when every variant brings its own model, it parses
    endpoint_properties["ProductionVariants"][1]["ModelName"] = "shared-registry-model"
    assert parse_properties(endpoint_properties).containers is None


def test_cross_property_rules_join_field_errors(endpoint_properties):
    # Given duplicate variant names and a field error elsewhere
    endpoint_properties["ProductionVariants"] = [
        {"InstanceType": "ml.m5.large"},
        {"InstanceType": "ml.m5.large", "InitialVariantWeight": "-1"},
    ]

    # When parsed
    problems = problems_of(endpoint_properties)

    # Then both kinds of problem are reported together
    assert problems == [
        "ProductionVariants[1].InitialVariantWeight: must be >= 0",
        "ProductionVariants: duplicate VariantName 'AllTraffic'",
    ]


def test_an_inference_pipeline_takes_up_to_fifteen_containers(endpoint_properties):
    # Given sixteen containers
    del endpoint_properties["PrimaryContainer"]
    endpoint_properties["Containers"] = [{"Image": f"image-{n}"} for n in range(16)]

    # When parsed, Then the limit is reported
    assert problems_of(endpoint_properties) == ["Containers: allows at most 15 item(s)"]


def test_a_container_needs_an_image_or_a_model_package(endpoint_properties):
    # Given a container with neither
    endpoint_properties["PrimaryContainer"] = {"ModelDataUrl": "s3://bucket/model.tar.gz"}

    # When parsed, Then the container's path says what is missing
    assert problems_of(endpoint_properties) == ["PrimaryContainer: needs Image or ModelPackageName"]


def test_model_data_source_accepts_the_native_shape(endpoint_properties):
    # Given an uncompressed model that needs its EULA accepted, booleans as strings
    endpoint_properties["PrimaryContainer"] = {
        "Image": "image",
        "ModelDataSource": {
            "S3DataSource": {
                "S3Uri": "s3://bucket/llama/",
                "S3DataType": "S3Prefix",
                "CompressionType": "None",
                "ModelAccessConfig": {"AcceptEula": "true"},
            }
        },
    }

    # When parsed
    container = parse_properties(endpoint_properties).containers[0]

    # Then the EULA flag is a real boolean
    assert container.ModelDataSource["S3DataSource"]["ModelAccessConfig"]["AcceptEula"] is True


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("churn-v1", True),
        ("a" * 63, True),
        ("a" * 64, False),
        ("-churn", False),
        ("churn_v1", False),
    ],
)
def test_endpoint_name_follows_sagemaker_rules(endpoint_properties, name, accepted):
    # Given an explicit EndpointName
    endpoint_properties["EndpointName"] = name

    # When parsed, Then only SageMaker-valid names pass
    if accepted:
        assert parse_properties(endpoint_properties).EndpointName == name
    else:
        assert problems_of(endpoint_properties)[0].startswith("EndpointName: ")
