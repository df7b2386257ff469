"""The published property reference is the one the property model generates."""

from tools.property_reference import DOCUMENT, render


def test_the_reference_matches_the_property_model():
    # Given the committed reference, When the model renders it anew, Then nothing differs
    assert DOCUMENT.read_text() == render(), "run `make docs` and commit the result"


def test_the_reference_states_limits_and_update_behaviour():
    reference = render()
    assert (
        "| `ProductionVariants[].AutoScaling.MinCapacity` | integer | required | >= 0 | in place, endpoint untouched |"
        in reference
    )
    assert "| `EndpointName` | string | optional |" in reference and "| replacement |" in reference
    assert (
        "`ProductionVariants[].ServerlessConfig.MemorySizeInMB` | integer | required | >= 1024; <= 6144; multiple of 1024"
        in reference
    )
