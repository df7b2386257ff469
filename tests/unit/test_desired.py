"""What SageMaker should hold for a set of properties."""

from __future__ import annotations

from tests.unit.stack_resource import DEFAULT_ROLE, STACK_ID


def test_requests_use_sagemaker_shapes_and_typed_values(endpoint_properties, state):
    # When the desired state is built
    desired = state(endpoint_properties)

    # Then the model uses the provider's role and a typed container
    model = desired.models[0].request
    assert model["ExecutionRoleArn"] == DEFAULT_ROLE
    assert model["PrimaryContainer"]["ModelDataUrl"].endswith("v1/model.tar.gz")
    assert model["EnableNetworkIsolation"] is False
    # And the config's variant points at that model with numbers, not strings
    variant = desired.config.request["ProductionVariants"][0]
    assert variant["ModelName"] == desired.models[0].name
    assert variant["InitialInstanceCount"] == 1
    assert "VolumeSizeInGB" not in variant


def test_several_containers_make_an_inference_pipeline(endpoint_properties, state):
    # Given two containers
    endpoint_properties["Containers"] = [
        {"Image": "preprocess", "ContainerHostname": "pre"},
        endpoint_properties.pop("PrimaryContainer"),
    ]
    endpoint_properties["InferenceExecutionConfig"] = {"Mode": "Serial"}

    # Then one model holds both, in order
    model = state(endpoint_properties).models[0].request
    assert [c["Image"] for c in model["Containers"]] == [
        "preprocess",
        endpoint_properties["Containers"][1]["Image"],
    ]
    assert model["InferenceExecutionConfig"] == {"Mode": "Serial"}
    assert "PrimaryContainer" not in model


def test_tags_carry_the_owner_and_the_user_tags(endpoint_properties, state):
    desired = state(endpoint_properties)
    assert desired.tags["team"] == "churn"
    assert desired.tags["sagemaker-endpoint-provider:logical-id"] == "Endpoint"
    assert desired.tags["sagemaker-endpoint-provider:stack-id"] == STACK_ID


def test_attributes_name_every_resource(endpoint_properties, state):
    desired = state(endpoint_properties)
    data = desired.attributes("arn:aws:sagemaker:us-east-1:123456789012:endpoint/x")
    assert data["EndpointName"] == desired.endpoint_name
    assert data["EndpointConfigName"] == desired.config.name
    assert data["ModelName"] == data["ModelNames"] == desired.models[0].name


def test_explicit_endpoint_name_wins(endpoint_properties, state):
    endpoint_properties["EndpointName"] = "churn-v1"
    desired = state(endpoint_properties)
    assert desired.endpoint_name == "churn-v1"
    assert desired.config.name.startswith("churn-v1-")


def test_requests_spell_out_sagemakers_defaults_so_names_survive_a_provider_upgrade(
    endpoint_properties, state
):
    # Given data capture, which like the model, its containers and the variants has defaults
    endpoint_properties["DataCaptureConfig"] = {
        "InitialSamplingPercentage": "20",
        "DestinationS3Uri": "s3://bucket/capture/",
        "CaptureOptions": [{"CaptureMode": "Input"}],
    }
    del endpoint_properties["PrimaryContainer"]["Environment"]
    del endpoint_properties["ProductionVariants"][0]["InitialVariantWeight"]

    # When built
    desired = state(endpoint_properties)

    # Then the requests carry the defaults earlier releases sent, so their digests (the
    # model and config names) match what those releases created and no update redeploys
    model, config = desired.models[0].request, desired.config.request
    assert model["EnableNetworkIsolation"] is False
    assert model["PrimaryContainer"]["Environment"] == {}
    assert config["ProductionVariants"][0]["InitialVariantWeight"] == 1.0
    assert config["DataCaptureConfig"]["EnableCapture"] is True
