"""A newcomer's mistakes in an example stack: each gets one line saying where and what, a
non-zero exit, and never a traceback.

Mistakes the checks catch before deploying run the demo in-process (it stops before it starts
the local AWS); those only a deployment reveals run it as `make demo` does, on simulated time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from localaws import demo
from tests.support.demo import ROOT, SIMULATED, play

EXAMPLE = (ROOT / "examples" / "realtime-endpoint.yaml").read_text()


def example_with(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    """The default example with a newcomer's edits; each must change the template."""
    text = EXAMPLE
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "mistaken.yaml"
    path.write_text(text)
    return path


def checked(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    status = demo.main([str(path)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return status, captured.err.splitlines()


def test_a_ref_to_a_missing_parameter_is_named_with_its_line_and_property(tmp_path, capsys):
    # Given a !Ref to a parameter that does not exist
    path = example_with(
        tmp_path, ("InstanceType: !Ref InstanceType", "InstanceType: !Ref InstanceTyp")
    )

    # When the demo checks it
    status, lines = checked(path, capsys)

    # Then one line says where, which property, and what the name probably was
    assert status == 1
    assert lines == [
        f"error: {path}:63: ChurnEndpoint ProductionVariants[0].InstanceType: !Ref InstanceTyp "
        "names no parameter or resource (did you mean InstanceType?) [cfn-lint E1020]"
    ]


def test_a_misspelt_parameter_in_the_demo_steps_is_named(tmp_path, capsys):
    # Given a demo step that sets a parameter the template does not declare
    path = example_with(
        tmp_path, ("          EndpointName: churn-demo-v2", "          EndpointNme: churn-demo-v2")
    )

    # When the demo checks it
    status, lines = checked(path, capsys)

    # Then one line names the step, the parameter and the likely one
    assert status == 1
    assert lines == [
        f"error: {path}:19: Metadata.LocalDemo.Steps[1].Parameters.EndpointNme: the template has "
        "no parameter EndpointNme (did you mean EndpointName?)"
    ]


def test_a_step_expecting_an_unknown_outcome_is_named(tmp_path, capsys):
    path = example_with(tmp_path, ("Expect: replacement", "Expect: replaced"))

    status, lines = checked(path, capsys)

    assert status == 1
    assert lines == [
        f"error: {path}:20: Metadata.LocalDemo.Steps[1].Expect: must be one of in-place, "
        "replacement, rolled-back, got 'replaced'"
    ]


def test_a_traffic_step_naming_no_component_is_named(tmp_path, capsys):
    # Given the scale-to-zero example, its traffic sent to a resource that is no component
    text = (ROOT / "examples" / "llm-scale-to-zero.yaml").read_text()
    path = tmp_path / "mistaken.yaml"
    path.write_text(text.replace("Component: ChatModel\n", "Component: GpuEndpoint\n", 1))

    # When the demo checks it
    status, lines = checked(path, capsys)

    # Then one line names the step and the components there are
    assert status == 1
    assert lines == [
        f"error: {path}:15: Metadata.LocalDemo.Steps[0].Traffic.Component: not a "
        "Custom::SageMakerInferenceComponent of the template"
    ]


def test_broken_yaml_is_named_with_its_line(tmp_path, capsys):
    path = example_with(tmp_path, ("      ServiceTimeout: 3600\n", "      ServiceTimeout: [3600\n"))

    status, lines = checked(path, capsys)

    assert status == 1
    (line,) = lines
    assert line.startswith(f"demo failed: {path}:") and "expected" in line


def test_a_missing_template_is_named(tmp_path, capsys):
    status, lines = checked(tmp_path / "nowhere.yaml", capsys)

    assert status == 1
    assert lines == [f"demo failed: no such template: {tmp_path / 'nowhere.yaml'}"]


def test_a_wrong_get_att_in_outputs_rolls_the_stack_back(tmp_path):
    # Given an output reading an attribute the provider does not return
    path = example_with(
        tmp_path, ("!GetAtt ChurnEndpoint.EndpointName", "!GetAtt ChurnEndpoint.Endpoint")
    )

    # When the demo deploys it
    result = play(path, SIMULATED)

    # Then CloudFormation's attribute error names the output, its line and the attributes
    # there are; the stack rolls back and nothing is left
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    error = (
        "Outputs.EndpointName.Value (line 74): CustomResource attribute error: Vendor response "
        "doesn't contain Endpoint attribute in object ChurnEndpoint; it has EndpointName, "
        "EndpointArn, EndpointConfigName, ModelName, ModelNames"
    )
    assert result.stderr.splitlines() == [f"demo failed: {error}"]
    assert f"ROLLBACK_IN_PROGRESS                         {error}" in result.stdout
    assert "ROLLBACK_COMPLETE" in result.stdout and "nothing left in SageMaker" in result.stdout


def test_invalid_properties_fail_the_create_then_roll_back_showing_the_provider_log(tmp_path):
    # Given three invalid properties
    path = example_with(
        tmp_path,
        ("InitialInstanceCount: 1", "InitialInstanceCount: 0"),
        ("InitialVariantWeight: 1", "InitialVariantWeigth: 1"),
        ("ModelDataUrl: !Ref ModelDataUrl", "ModelDataUrll: !Ref ModelDataUrl"),
    )

    # When the demo deploys it
    result = play(path, SIMULATED)

    # Then the create fails, CloudFormation's rollback Delete follows, and the demo ends in one
    # line with a non-zero exit
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    events = [
        line.split()[2:4] for line in result.stdout.splitlines() if line[:9].strip().endswith("s")
    ]
    assert events[-5:] == [
        ["ChurnEndpoint", "CREATE_FAILED"],
        ["-", "ROLLBACK_IN_PROGRESS"],
        ["ChurnEndpoint", "DELETE_IN_PROGRESS"],
        ["ChurnEndpoint", "DELETE_COMPLETE"],
        ["-", "ROLLBACK_COMPLETE"],
    ]
    (failure,) = result.stderr.splitlines()
    assert failure.startswith("demo failed: ChurnEndpoint CREATE_FAILED: Invalid properties")
    # And the provider's log lines show every problem in full
    (logged,) = [
        line for line in result.stdout.splitlines() if "| ERROR   invalid properties" in line
    ]
    for problem in (
        "PrimaryContainer.ModelDataUrll: unknown property (did you mean ModelDataUrl?)",
        "ProductionVariants[0].InitialInstanceCount: must be >= 1",
        "ProductionVariants[0].InitialVariantWeigth: unknown property "
        "(did you mean InitialVariantWeight?)",
    ):
        assert problem in logged
