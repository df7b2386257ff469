"""template.yaml states what the stack promises: runtime, provider wiring, outputs, and IAM scope.

Pure tests: the template is read with PyYAML (short-form intrinsic tags such as !Ref, !Sub and
!GetAtt become their long form), nothing is deployed or translated.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"

SAGEMAKER_ACTIONS_WITHOUT_RESOURCE_LEVEL = {"sagemaker:ListModels", "sagemaker:ListEndpointConfigs"}
SCOPED_SAGEMAKER_ACTIONS = {
    "sagemaker:CreateModel",
    "sagemaker:DescribeModel",
    "sagemaker:DeleteModel",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DeleteEndpointConfig",
    "sagemaker:CreateEndpoint",
    "sagemaker:DescribeEndpoint",
    "sagemaker:UpdateEndpoint",
    "sagemaker:DeleteEndpoint",
    "sagemaker:AddTags",
    "sagemaker:DeleteTags",
    "sagemaker:ListTags",
}
AUTOSCALING_ACTIONS = {
    "application-autoscaling:RegisterScalableTarget",
    "application-autoscaling:DeregisterScalableTarget",
    "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:PutScalingPolicy",
    "application-autoscaling:DeleteScalingPolicy",
    "application-autoscaling:DescribeScalingPolicies",
}
PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short-form tags into their long form."""


def _construct_intrinsic(loader: CloudFormationLoader, tag_suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=CloudFormationLoader)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="module")
def provider(resources: dict[str, Any]) -> dict[str, Any]:
    return resources["ProviderFunction"]["Properties"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def iam_statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every IAM statement in the template, with the logical ID of the resource that holds it."""
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        kind = resource["Type"]
        documents: list[dict[str, Any]] = []
        if kind == "AWS::Serverless::Function":
            documents += [p for p in props.get("Policies", []) if isinstance(p, dict)]
        elif kind == "AWS::IAM::Role":
            documents += [p["PolicyDocument"] for p in props.get("Policies", [])]
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append(props["PolicyDocument"])
        for document in documents:
            for statement in as_list(document.get("Statement", [])):
                yield logical_id, statement


def allowed_actions(statement: dict[str, Any]) -> set[str]:
    if statement.get("Effect") != "Allow":
        return set()
    return set(as_list(statement.get("Action", [])))


def references(node: Any) -> Iterator[str]:
    """Every logical ID or parameter named by Ref, GetAtt or a ${} in Sub, anywhere below node."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                yield value
            elif key == "Fn::GetAtt":
                yield value[0]
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                for part in text.split("${")[1:]:
                    name = part.split("}", 1)[0].split(".", 1)[0]
                    if not name.startswith("!") and name not in variables:
                        yield name
                yield from references(variables)
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


# --- Globals and layer ---------------------------------------------------------------------------


def test_globals_run_python313_on_arm64_with_active_tracing(template):
    # Given the template's Globals
    function_globals = template["Globals"]["Function"]

    # When the runtime settings every function inherits are read
    # Then they match the Lambda runtime the code and layer are built for
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Tracing"] == "Active"


def test_globals_configure_powertools(template):
    # Given the environment every function inherits
    variables = template["Globals"]["Function"]["Environment"]["Variables"]

    # Then Powertools has a service, a metrics namespace, a log level, and events stay unlogged
    assert variables["POWERTOOLS_SERVICE_NAME"] == "sagemaker-endpoint"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "SageMakerEndpointProvider"
    assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"
    assert variables["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"


def test_shared_layer_is_built_for_python313_arm64(resources):
    # Given the shared layer
    layer = resources["SharedLayer"]

    # Then SAM builds it from layers/shared/ with python3.13 for arm64, as the functions run
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"].rstrip("/") == "layers/shared"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"


# --- Provider function ---------------------------------------------------------------------------


def test_provider_function_waits_up_to_15_minutes_with_the_shared_layer(resources, provider):
    # Given the provider function
    # Then it is a SAM function with the full Lambda timeout, using the shared layer
    assert resources["ProviderFunction"]["Type"] == "AWS::Serverless::Function"
    assert provider["Timeout"] == 900
    assert provider["MemorySize"] == 256
    assert provider["CodeUri"].rstrip("/") == "functions/provider"
    assert provider["Handler"] == "app.handler"
    assert {"Ref": "SharedLayer"} in provider["Layers"]


def test_provider_environment_names_role_and_timing_parameters(template, provider):
    # Given the provider's own environment
    variables = provider["Environment"]["Variables"]
    parameters = template["Parameters"]

    # Then it overrides the service name and takes its timings from parameters with the
    # documented defaults, and the default role from the template's role
    assert variables["POWERTOOLS_SERVICE_NAME"] == "endpoint-provider"
    assert variables["DEFAULT_EXECUTION_ROLE_ARN"] == {
        "Fn::GetAtt": ["SageMakerExecutionRole", "Arn"]
    }
    for variable, parameter, default in [
        ("POLL_INTERVAL_SECONDS", "PollIntervalSeconds", 5),
        ("HANDOFF_MARGIN_SECONDS", "HandoffMarginSeconds", 60),
        ("DEADLINE_MARGIN_SECONDS", "DeadlineMarginSeconds", 60),
    ]:
        assert variables[variable] == {"Ref": parameter}
        assert parameters[parameter]["Type"] == "Number"
        assert parameters[parameter]["Default"] == default


def test_provider_logs_to_an_explicit_log_group_with_retention(template, resources, provider):
    # Given the provider's logging configuration
    log_group_ref = provider["LoggingConfig"]["LogGroup"]

    # When the log group it points at is looked up
    log_group = resources[log_group_ref["Ref"]]

    # Then it is a real log group whose retention is a parameter defaulting to 30 days
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    assert template["Parameters"]["LogRetentionInDays"]["Default"] == 30


# --- Outputs -------------------------------------------------------------------------------------


def test_service_token_is_the_provider_arn_exported_under_the_stack_name(template):
    # Given the ServiceToken output
    output = template["Outputs"]["ServiceToken"]

    # Then other stacks can import it as <stack>-ServiceToken
    assert output["Value"] == {"Fn::GetAtt": ["ProviderFunction", "Arn"]}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-ServiceToken"}


def test_outputs_name_function_role_and_log_group(template):
    # Given the outputs
    outputs = template["Outputs"]

    # Then the function, the exported default role and the log group are all there
    assert outputs["ProviderFunctionName"]["Value"] == {"Ref": "ProviderFunction"}
    assert outputs["SageMakerExecutionRoleArn"]["Value"] == {
        "Fn::GetAtt": ["SageMakerExecutionRole", "Arn"]
    }
    assert outputs["SageMakerExecutionRoleArn"]["Export"]["Name"] == {
        "Fn::Sub": "${AWS::StackName}-SageMakerExecutionRoleArn"
    }
    assert outputs["ProviderLogGroupName"]["Value"] == {"Ref": "ProviderLogGroup"}


def test_every_output_has_a_description(template):
    # Given every output
    # Then each says what it is
    missing = [
        name for name, output in template["Outputs"].items() if not output.get("Description")
    ]
    assert missing == []


def test_every_reference_names_something_the_template_defines(template, resources):
    # Given the names the template may refer to: parameters, resources, pseudo parameters,
    # and the role SAM generates for ProviderFunction
    known = set(template["Parameters"]) | set(resources) | PSEUDO_PARAMETERS
    known.add("ProviderFunctionRole")

    # When every Ref, GetAtt and ${} is collected
    referenced = set(references(resources)) | set(references(template["Outputs"]))

    # Then none is dangling
    assert referenced - known == set()


# --- Provider IAM --------------------------------------------------------------------------------


def test_no_sagemaker_action_on_all_resources_except_the_list_calls(resources):
    # Given every IAM statement in the template
    offending = []
    for logical_id, statement in iam_statements(resources):
        # When a statement allows something on "*"
        if "*" not in as_list(statement.get("Resource", [])):
            continue
        sagemaker = {a for a in allowed_actions(statement) if a.lower().startswith("sagemaker:")}
        # Then the only SageMaker actions there are the ones without resource-level permissions
        offending += [(logical_id, a) for a in sagemaker - SAGEMAKER_ACTIONS_WITHOUT_RESOURCE_LEVEL]
    assert offending == []


def test_no_action_wildcards(resources):
    # Given every IAM statement in the template
    # Then no action is granted by wildcard ("sagemaker:*", "s3:Get*", ...)
    wildcards = [
        (logical_id, action)
        for logical_id, statement in iam_statements(resources)
        for action in allowed_actions(statement)
        if "*" in action
    ]
    assert wildcards == []


def test_provider_has_every_sagemaker_action_it_needs_scoped_to_this_account(resources):
    # Given the provider's own statements
    statements = [s for who, s in iam_statements(resources) if who == "ProviderFunction"]

    # When the scoped SageMaker actions and their resources are collected
    granted = set()
    for statement in statements:
        actions = allowed_actions(statement) & SCOPED_SAGEMAKER_ACTIONS
        if not actions:
            continue
        granted |= actions
        for resource in as_list(statement["Resource"]):
            # Then each resource is a model, endpoint-config or endpoint ARN of this account/region
            arn = resource["Fn::Sub"]
            assert arn.startswith(
                "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:"
            )
            assert arn.rsplit(":", 1)[1] in {"model/*", "endpoint-config/*", "endpoint/*"}

    # And nothing it needs is missing, list calls and autoscaling included
    assert granted == SCOPED_SAGEMAKER_ACTIONS
    everything = set().union(*(allowed_actions(s) for s in statements))
    assert SAGEMAKER_ACTIONS_WITHOUT_RESOURCE_LEVEL.issubset(everything)
    assert AUTOSCALING_ACTIONS.issubset(everything)
    assert "cloudwatch:DescribeAlarms" in everything


def test_self_invoke_is_scoped_to_the_provider_and_outside_its_own_policies(resources):
    # Given every statement that allows lambda:InvokeFunction
    grants = [
        (who, s)
        for who, s in iam_statements(resources)
        if "lambda:InvokeFunction" in allowed_actions(s)
    ]

    # Then there is one, on the provider's own ARN, in a separate policy on the SAM-generated role
    # (inside the function's Policies it would be a circular dependency)
    assert len(grants) == 1
    holder, statement = grants[0]
    assert holder != "ProviderFunction"
    assert statement["Resource"] == {"Fn::GetAtt": ["ProviderFunction", "Arn"]}
    assert resources[holder]["Type"] == "AWS::IAM::Policy"
    assert resources[holder]["Properties"]["Roles"] == [{"Ref": "ProviderFunctionRole"}]


def test_pass_role_only_to_sagemaker(resources):
    # Given every statement that allows iam:PassRole
    pass_role = [
        (who, s) for who, s in iam_statements(resources) if "iam:PassRole" in allowed_actions(s)
    ]
    assert pass_role

    # Then each only lets the role be passed to SageMaker, and never on "*"
    for _, statement in pass_role:
        assert (
            statement["Condition"]["StringEquals"]["iam:PassedToService"]
            == "sagemaker.amazonaws.com"
        )
        assert "*" not in as_list(statement["Resource"])

    # And the default execution role is one of the roles that may be passed
    resources_passed = [r for _, s in pass_role for r in as_list(s["Resource"])]
    assert {"Fn::GetAtt": ["SageMakerExecutionRole", "Arn"]} in resources_passed


def test_service_linked_role_creation_is_limited_to_sagemaker_autoscaling(resources):
    # Given every statement that allows iam:CreateServiceLinkedRole
    statements = [
        s
        for _, s in iam_statements(resources)
        if "iam:CreateServiceLinkedRole" in allowed_actions(s)
    ]

    # Then it only creates Application Auto Scaling's role for SageMaker endpoints
    assert statements
    for statement in statements:
        condition = statement["Condition"]
        (operator,) = condition
        assert (
            condition[operator]["iam:AWSServiceName"]
            == "sagemaker.application-autoscaling.amazonaws.com"
        )


# --- Default SageMaker execution role ------------------------------------------------------------


def test_execution_role_is_assumed_by_sagemaker_only(resources):
    # Given the default execution role's trust policy
    trust = resources["SageMakerExecutionRole"]["Properties"]["AssumeRolePolicyDocument"]

    # Then only SageMaker may assume it
    principals = [s["Principal"] for s in trust["Statement"]]
    assert principals == [{"Service": "sagemaker.amazonaws.com"}]


def test_execution_role_pulls_images_reads_artifacts_and_writes_logs(template, resources):
    # Given the default execution role's statements
    statements = [s for who, s in iam_statements(resources) if who == "SageMakerExecutionRole"]
    by_action = {a: s for s in statements for a in allowed_actions(s)}

    # Then it can pull any image, AWS-owned Deep Learning Containers included
    for action in ("ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"):
        assert by_action[action]["Resource"] == "*"

    # And it reads artifacts only from the buckets the parameter names (default sagemaker-*)
    parameter = template["Parameters"]["ModelArtifactBucketNames"]
    assert parameter["Type"] == "CommaDelimitedList"
    assert parameter["Default"] == "sagemaker-*"
    for action in ("s3:GetObject", "s3:ListBucket"):
        assert "ModelArtifactBucketNames" in set(references(by_action[action]["Resource"]))

    # And it writes logs under /aws/sagemaker/ and metrics only to SageMaker's namespaces
    assert "log-group:/aws/sagemaker/" in by_action["logs:PutLogEvents"]["Resource"]["Fn::Sub"]
    metrics = by_action["cloudwatch:PutMetricData"]
    assert metrics["Condition"]["StringLike"]["cloudwatch:namespace"].startswith("/aws/sagemaker")

    # And it can attach models to a VPC
    for action in (
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeSubnets",
    ):
        assert action in by_action


# --- samconfig.toml ------------------------------------------------------------------------------


def test_samconfig_builds_cached_and_deploys_the_provider_stack():
    # Given samconfig.toml
    config = tomllib.loads(SAMCONFIG.read_text())["default"]

    # Then builds are cached and parallel, validation lints, and deploy targets the provider stack
    assert config["build"]["parameters"]["cached"] is True
    assert config["build"]["parameters"]["parallel"] is True
    assert config["validate"]["parameters"]["lint"] is True
    deploy = config["deploy"]["parameters"]
    assert deploy["stack_name"] == "sagemaker-endpoint-provider"
    assert deploy["resolve_s3"] is True
    assert "CAPABILITY_IAM" in deploy["capabilities"]
    assert deploy["fail_on_empty_changeset"] is False
