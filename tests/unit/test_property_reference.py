"""The published property reference is the one the property model generates."""

import pytest

from tools.property_reference import render
from tools.references import REFERENCES

ENDPOINT, COMPONENT = REFERENCES


@pytest.mark.parametrize("reference", REFERENCES, ids=lambda ref: ref.resource_type)
def test_each_reference_matches_its_property_model(reference):
    # Given the committed reference, When the model renders it anew, Then nothing differs
    assert reference.document.read_text() == render(reference), "run `make docs` and commit"


def test_the_reference_states_limits_and_update_behaviour():
    # When rendered
    rows = {
        row.split(" | ")[0]: row.split(" | ")
        for row in render(ENDPOINT).splitlines()
        if row[:3] == "| `"
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
    reference = render(ENDPOINT)
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


def test_the_component_reference_says_how_copies_and_moves_update():
    # When rendered
    rows = {
        row.split(" | ")[0].removeprefix("| `").removesuffix("`"): row.split(" | ")
        for row in render(COMPONENT).splitlines()
        if row[:3] == "| `"
    }

    # Then moving the component replaces it, copies change in place, and the model's own
    # settings make a new model
    assert rows["EndpointName"][4] == rows["VariantName"][4] == "replacement"
    assert rows["RuntimeConfig.CopyCount"][4] == "copies, in place"
    assert rows["PrimaryContainer"][4] == "new model or specification, in place"
    assert rows["Specification.ComputeResourceRequirements.MinMemoryRequiredInMb"][1:3] == [
        "integer",
        "required",
    ]
