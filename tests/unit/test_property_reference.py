"""The published property reference is the one the property model generates."""

from tools.property_reference import DOCUMENT, render


def test_the_reference_matches_the_property_model():
    # Given the committed reference, When the model renders it anew, Then nothing differs
    assert DOCUMENT.read_text() == render(), "run `make docs` and commit the result"


def test_the_reference_states_limits_and_update_behaviour():
    # When rendered
    rows = {
        row.split(" | ")[0]: row.split(" | ") for row in render().splitlines() if row[:3] == "| `"
    }

    # Then each property states its type, presence, limits and update behaviour
    assert rows["| `ProductionVariants[].AutoScaling.MinCapacity`"][1:5] == [
        "integer",
        "required",
        ">= 0",
        "in place, endpoint untouched",
    ]
    assert rows["| `EndpointName`"][4] == "replacement"
    memory = rows["| `ProductionVariants[].ServerlessConfig.MemorySizeInMB`"]
    assert memory[3] == ">= 1024; <= 6144; multiple of 1024"


def test_the_reference_covers_every_request_member_and_the_porting_spellings():
    # When rendered
    reference = render()
    rows = {
        row.split(" | ")[0].removeprefix("| `").removesuffix("`") for row in reference.splitlines()
    }

    # Then API members newer than the native schemas, and the collision spellings, are listed
    for path in (
        "ExplainerConfig.ClarifyExplainerConfig.ShapConfig",
        "ProductionVariants[].ManagedInstanceScaling.MaxInstanceCount",
        "PrimaryContainer.AdditionalModelDataSources",
        "EndpointConfigExecutionRoleArn",
        "EndpointConfigVpcConfig",
        "RetainDeploymentConfig",
    ):
        assert path in rows
    # And the porting section says how a native template maps
    assert "## Porting a native template" in reference
