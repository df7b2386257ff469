"""template.yaml states what the stack promises: runtime, provider wiring, outputs, and IAM scope.

Pure tests: the template is read with PyYAML (short-form intrinsic tags such as !Ref, !Sub and
!GetAtt become their long form), nothing is deployed or translated.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data

from endpoint_common.sagemaker_names import SAGEMAKER_NAME_PATTERN
from endpoint_invoker.settings import DEFAULT_READ_TIMEOUT, seconds_needed
from localaws.template import load_template
from tests.iam.actions import rows

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
SAMCONFIG = ROOT / "samconfig.toml"

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
    "sagemaker:CreateInferenceComponent",
    "sagemaker:DescribeInferenceComponent",
    "sagemaker:UpdateInferenceComponent",
    "sagemaker:UpdateInferenceComponentRuntimeConfig",
    "sagemaker:DeleteInferenceComponent",
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
NO_VALUE = {"Ref": "AWS::NoValue"}


def without_resource_level(action: str) -> bool:
    """Whether IAM authorizes the action on "*" only (policy_sentry's bundled reference)."""
    prefix, name = action.split(":", 1)
    found = rows(prefix, name)
    return bool(found) and all(row.arn_format == "*" for row in found)


INVOKER_ACTIONS = {"sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointAsync"}
SAGEMAKER_ARN = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:"
ASYNC_PREFIXES = {"async-input/", "async-output/", "async-failure/"}
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


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]


@pytest.fixture(scope="module")
def provider(resources: dict[str, Any]) -> dict[str, Any]:
    return resources["ProviderFunction"]["Properties"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def branches(value: Any) -> Iterator[Any]:
    """What value can turn out to be: both branches of every Fn::If, AWS::NoValue left out."""
    if isinstance(value, dict) and "Fn::If" in value:
        _, when_true, when_false = value["Fn::If"]
        yield from branches(when_true)
        yield from branches(when_false)
    elif value != NO_VALUE:
        yield value


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
            for conditional in as_list(document.get("Statement", [])):
                for statement in branches(conditional):
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

    # Then SAM builds it from layers/shared/ (its Makefile picks python3.13 arm64 wheels, as
    # the functions run: tests/unit/test_layer_build.py)
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"].rstrip("/") == "layers/shared"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
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
        offending += [(logical_id, a) for a in sagemaker if not without_resource_level(a)]
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
            assert arn.rsplit(":", 1)[1] in {
                "model/*",
                "endpoint-config/*",
                "endpoint/*",
                "inference-component/*",
            }

    # And nothing it needs is missing, list calls and autoscaling included
    assert granted == SCOPED_SAGEMAKER_ACTIONS
    everything = set().union(*(allowed_actions(s) for s in statements))
    assert {"sagemaker:ListModels", "sagemaker:ListEndpointConfigs"}.issubset(everything)
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


# --- Invoker network ------------------------------------------------------------------------------

S3_PREFIX_LIST = {
    "Fn::If": [
        "LookUpS3PrefixList",
        {"Fn::GetAtt": ["S3PrefixList", "PrefixListId"]},
        {"Ref": "S3PrefixListId"},
    ]
}
RUNTIME_ENDPOINT_GROUP = {
    "Fn::If": [
        "ReuseRuntimeEndpoint",
        {"Ref": "ExistingRuntimeEndpointSecurityGroupId"},
        {"Fn::GetAtt": ["SageMakerRuntimeEndpointSecurityGroup", "GroupId"]},
    ]
}
NEW_SUBNETS = [{"Ref": "PrivateSubnet1"}, {"Ref": "PrivateSubnet2"}]
PRIVATE_SUBNETS = [NEW_SUBNETS, {"Ref": "ExistingSubnetIds"}]
NETWORK_OUT_OF_THE_VPC = {
    "AWS::EC2::InternetGateway",
    "AWS::EC2::EgressOnlyInternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::NatGateway",
    "AWS::EC2::TransitGatewayAttachment",
    "AWS::EC2::VPCPeeringConnection",
    "AWS::EC2::Route",
}


def security_group_rules(resources: dict[str, Any], group: str, key: str) -> list[dict[str, Any]]:
    """A group's SecurityGroupIngress or SecurityGroupEgress rules: inline, and the separate
    AWS::EC2::<key> resources that name the group (in either branch of an Fn::If)."""
    rules = list(resources[group]["Properties"].get(key, []))
    group_id = {"Fn::GetAtt": [group, "GroupId"]}
    for resource in resources.values():
        is_rule = resource["Type"] == f"AWS::EC2::{key}"
        if is_rule and group_id in branches(resource["Properties"]["GroupId"]):
            rules.append(resource["Properties"])
    return rules


def assert_https_only(rule: dict[str, Any]) -> None:
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 443, 443)
    assert not {"CidrIp", "CidrIpv6"} & set(rule)


def test_new_vpc_resolves_private_dns_and_has_no_way_out(resources):
    # Given the VPC the stack creates when no ExistingVpcId is given
    vpc = resources["Vpc"]

    # Then private DNS names of interface endpoints resolve in it
    assert vpc["Condition"] == "CreateVpc"
    assert vpc["Properties"]["EnableDnsSupport"] is True
    assert vpc["Properties"]["EnableDnsHostnames"] is True

    # And nothing leads out of it: no internet or NAT gateway, no route at all beyond the local
    # one and the S3 gateway endpoint's
    kinds = {resource["Type"] for resource in resources.values()}
    assert kinds & NETWORK_OUT_OF_THE_VPC == set()


def test_new_vpc_has_two_private_subnets_in_two_zones_each_with_a_route_table(resources):
    # Given the subnets of the new VPC and their route table associations
    associations = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
    ]

    # Then they sit in the region's first and second Availability Zones, without public IPs
    for index, subnet in enumerate(["PrivateSubnet1", "PrivateSubnet2"]):
        properties = resources[subnet]["Properties"]
        assert resources[subnet]["Condition"] == "CreateVpc"
        assert properties["VpcId"] == {"Ref": "Vpc"}
        assert properties["AvailabilityZone"] == {"Fn::Select": [index, {"Fn::GetAZs": ""}]}
        assert properties["MapPublicIpOnLaunch"] is False

    # And each has its own private route table
    assert {(a["SubnetId"]["Ref"], a["RouteTableId"]["Ref"]) for a in associations} == {
        ("PrivateSubnet1", "PrivateRouteTable1"),
        ("PrivateSubnet2", "PrivateRouteTable2"),
    }


def test_s3_gateway_endpoint_routes_the_private_route_tables(resources):
    # Given the S3 gateway endpoint
    endpoint = resources["S3GatewayEndpoint"]["Properties"]

    # Then it is the region's S3 gateway, on the private route tables or the given ones
    assert endpoint["VpcEndpointType"] == "Gateway"
    assert endpoint["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}
    assert list(branches(endpoint["RouteTableIds"])) == [
        [{"Ref": "PrivateRouteTable1"}, {"Ref": "PrivateRouteTable2"}],
        {"Ref": "ExistingRouteTableIds"},
    ]


def test_sagemaker_runtime_endpoint_answers_the_sdk_host_name_in_the_private_subnets(resources):
    # Given the SageMaker Runtime interface endpoint
    endpoint = resources["SageMakerRuntimeEndpoint"]["Properties"]

    # Then runtime.sagemaker.<region>.amazonaws.com resolves to it inside the VPC
    assert endpoint["VpcEndpointType"] == "Interface"
    assert endpoint["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.sagemaker.runtime"}
    assert endpoint["PrivateDnsEnabled"] is True

    # And it has a network interface in each private subnet, behind its own security group
    assert list(branches(endpoint["SubnetIds"])) == PRIVATE_SUBNETS
    assert endpoint["SecurityGroupIds"] == [
        {"Fn::GetAtt": ["SageMakerRuntimeEndpointSecurityGroup", "GroupId"]}
    ]


def test_runtime_endpoint_admits_https_from_the_invoker_only(resources):
    # Given every ingress rule of the runtime endpoint's security group
    ingress = security_group_rules(
        resources, "SageMakerRuntimeEndpointSecurityGroup", "SecurityGroupIngress"
    )

    # Then there is one: HTTPS from the invoker's security group
    assert len(ingress) == 1
    assert_https_only(ingress[0])
    assert ingress[0]["SourceSecurityGroupId"] == {
        "Fn::GetAtt": ["InvokerSecurityGroup", "GroupId"]
    }

    # And it is the same rule that an existing endpoint's security group gets instead
    assert ingress[0]["GroupId"] == RUNTIME_ENDPOINT_GROUP

    # And the endpoint itself cannot start any connection (its one egress rule matches nothing)
    (egress,) = security_group_rules(
        resources, "SageMakerRuntimeEndpointSecurityGroup", "SecurityGroupEgress"
    )
    assert (egress["IpProtocol"], egress["CidrIp"]) == ("icmp", "255.255.255.255/32")


def test_invoker_security_group_lets_out_https_to_the_runtime_endpoint_and_s3_only(resources):
    # Given every egress rule of the invoker's security group
    egress = security_group_rules(resources, "InvokerSecurityGroup", "SecurityGroupEgress")

    # Then the group declares egress itself, which removes the default allow-all rule
    assert resources["InvokerSecurityGroup"]["Properties"]["SecurityGroupEgress"]

    # And each rule is HTTPS, to the runtime endpoint's security group or S3's prefix list
    for rule in egress:
        assert_https_only(rule)
    destinations = [
        rule.get("DestinationSecurityGroupId") or rule.get("DestinationPrefixListId")
        for rule in egress
    ]
    assert len(destinations) == 2
    assert RUNTIME_ENDPOINT_GROUP in destinations
    assert S3_PREFIX_LIST in destinations

    # And nothing comes in
    assert security_group_rules(resources, "InvokerSecurityGroup", "SecurityGroupIngress") == []


def test_model_security_group_lets_out_https_to_s3_only(resources):
    # Given the security group consumer stacks put on VPC-attached models
    egress = security_group_rules(resources, "ModelSecurityGroup", "SecurityGroupEgress")

    # Then models reach S3 (artifacts, async payloads) over HTTPS and nothing else
    assert len(egress) == 1
    assert_https_only(egress[0])
    assert egress[0]["DestinationPrefixListId"] == S3_PREFIX_LIST
    assert security_group_rules(resources, "ModelSecurityGroup", "SecurityGroupIngress") == []


def test_no_security_group_rule_is_open_to_the_world(resources):
    # Given every security group and rule in the template
    rules = []
    for resource in resources.values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            rules += properties.get("SecurityGroupIngress", [])
            rules += properties.get("SecurityGroupEgress", [])
        elif resource["Type"] in (
            "AWS::EC2::SecurityGroupIngress",
            "AWS::EC2::SecurityGroupEgress",
        ):
            rules.append(properties)

    # Then none admits or lets out everything
    assert rules
    assert [r for r in rules if r.get("CidrIp") == "0.0.0.0/0" or r.get("CidrIpv6") == "::/0"] == []


def test_s3_prefix_list_is_given_or_looked_up_by_the_gateway_service_name(template, resources):
    # Given the S3PrefixListId parameter and the lookup custom resource
    parameter = template["Parameters"]["S3PrefixListId"]
    lookup = resources["S3PrefixList"]

    # Then an empty parameter (the default) means "look it up", and a given one must be a pl- ID
    assert parameter["Default"] == ""
    assert template["Conditions"]["LookUpS3PrefixList"] == {
        "Fn::Equals": [{"Ref": "S3PrefixListId"}, ""]
    }
    pattern = parameter["AllowedPattern"]
    assert re.fullmatch(pattern, "pl-63a5400a")
    assert not re.fullmatch(pattern, "0.0.0.0/0")

    # And the lookup asks for the list of the very service the gateway endpoint serves
    assert lookup["Condition"] == "LookUpS3PrefixList"
    assert lookup["Properties"]["ServiceToken"] == {
        "Fn::GetAtt": ["S3PrefixListLookupFunction", "Arn"]
    }
    assert (
        lookup["Properties"]["PrefixListName"]
        == resources["S3GatewayEndpoint"]["Properties"]["ServiceName"]
    )

    # And the function behind it may only describe prefix lists
    actions = {
        a
        for who, s in iam_statements(resources)
        if who == "S3PrefixListLookupFunction"
        for a in allowed_actions(s)
    }
    assert actions == {"ec2:DescribePrefixLists"}


def test_existing_vpc_replaces_every_network_resource_and_may_keep_its_endpoints(
    template, resources
):
    # Given the conditions that choose between a new and an existing network
    conditions = template["Conditions"]

    # Then a new VPC is made exactly when no ExistingVpcId is given, and it always gets endpoints
    assert conditions["CreateVpc"] == {"Fn::Equals": [{"Ref": "ExistingVpcId"}, ""]}
    assert conditions["ShouldCreateVpcEndpoints"] == {
        "Fn::Or": [
            {"Condition": "CreateVpc"},
            {"Fn::Equals": [{"Ref": "CreateVpcEndpoints"}, "true"]},
        ]
    }
    assert template["Parameters"]["CreateVpcEndpoints"]["AllowedValues"] == ["true", "false"]
    assert template["Parameters"]["ExistingSubnetIds"]["Type"] == "CommaDelimitedList"
    assert template["Parameters"]["ExistingRouteTableIds"]["Type"] == "CommaDelimitedList"

    # And every piece of the new network exists only for a new VPC, the endpoints only when wanted
    for logical_id, resource in resources.items():
        if resource["Type"] in (
            "AWS::EC2::VPC",
            "AWS::EC2::Subnet",
            "AWS::EC2::RouteTable",
            "AWS::EC2::SubnetRouteTableAssociation",
            "AWS::EC2::FlowLog",
        ):
            assert resource.get("Condition") == "CreateVpc", logical_id
        if resource["Type"] == "AWS::EC2::VPCEndpoint":
            assert resource.get("Condition") == "ShouldCreateVpcEndpoints", logical_id

    # And every security group lives in whichever VPC that is
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            assert resource["Properties"]["VpcId"] == {
                "Fn::If": ["CreateVpc", {"Ref": "Vpc"}, {"Ref": "ExistingVpcId"}]
            }, logical_id


def test_rules_refuse_an_existing_network_without_its_pieces(template):
    # Given the template's Rules
    rules = template["Rules"]

    # Then an existing VPC needs its subnets, route tables for new endpoints, and the existing
    # runtime endpoint's security group when endpoints are reused
    assert rules["ExistingVpcNeedsItsSubnets"]["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Contains": [{"Ref": "ExistingSubnetIds"}, ""]}]
    }
    assert rules["NewEndpointsInExistingVpcNeedRouteTables"]["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Contains": [{"Ref": "ExistingRouteTableIds"}, ""]}]
    }
    assert rules["ExistingEndpointsNeedTheirSecurityGroup"]["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ExistingRuntimeEndpointSecurityGroupId"}, ""]}]
    }
    # And the reused group is named exactly when no endpoints are created
    assert rules["NewEndpointsTakeNoExistingSecurityGroup"]["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "ExistingRuntimeEndpointSecurityGroupId"}, ""]
    }


# --- Invoker function -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def invoker(resources: dict[str, Any]) -> dict[str, Any]:
    return resources["InvokerFunction"]["Properties"]


def test_invoker_runs_in_the_private_subnets_behind_its_security_group(
    template, resources, invoker
):
    # Given the invoker function
    # Then it is the invoker package with the shared layer, 512 MB and a 60 s default timeout
    assert resources["InvokerFunction"]["Type"] == "AWS::Serverless::Function"
    assert invoker["CodeUri"].rstrip("/") == "functions/invoker"
    assert invoker["Handler"] == "app.handler"
    assert {"Ref": "SharedLayer"} in invoker["Layers"]
    assert invoker["MemorySize"] == 512
    assert invoker["Timeout"] == {"Ref": "InvokerTimeoutSeconds"}
    assert template["Parameters"]["InvokerTimeoutSeconds"]["Default"] == 60

    # And it runs in the private subnets with the invoker security group only (with VpcConfig,
    # SAM attaches AWSLambdaVPCAccessExecutionRole for the network interfaces)
    vpc_config = invoker["VpcConfig"]
    assert vpc_config["SecurityGroupIds"] == [{"Fn::GetAtt": ["InvokerSecurityGroup", "GroupId"]}]
    assert list(branches(vpc_config["SubnetIds"])) == PRIVATE_SUBNETS


def test_invoker_logs_to_its_own_log_group_with_retention(resources, invoker):
    # Given the invoker's logging configuration
    log_group = resources[invoker["LoggingConfig"]["LogGroup"]["Ref"]]

    # Then it is a log group of its own, kept as long as the provider's
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert invoker["LoggingConfig"]["LogGroup"] != {"Ref": "ProviderLogGroup"}
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}


def test_invoker_environment_names_the_endpoint_and_the_async_payload_location(invoker):
    # Given the invoker's own environment
    variables = invoker["Environment"]["Variables"]

    # Then it calls the example endpoint when deployed, otherwise the EndpointName parameter,
    # and writes async request bodies under async-input/ of the payload bucket
    assert variables == {
        "POWERTOOLS_SERVICE_NAME": "endpoint-invoker",
        "SAGEMAKER_ENDPOINT_NAME": {
            "Fn::If": [
                "DeployExample",
                {"Fn::GetAtt": ["ExampleEndpoint", "EndpointName"]},
                {"Ref": "EndpointName"},
            ]
        },
        "ASYNC_BUCKET": {"Ref": "AsyncPayloadBucket"},
        "ASYNC_INPUT_PREFIX": "async-input/",
        "SAGEMAKER_INFERENCE_COMPONENT_NAME": {"Ref": "InferenceComponentName"},
        "INVOKER_TIMEOUT_SECONDS": {"Ref": "InvokerTimeoutSeconds"},
        "TRACER_PATCH_MODULES": "botocore",
    }


def test_the_invoker_timeout_leaves_room_for_a_slow_call_and_its_retry(template):
    # Given the invoker's timeout parameter and the time a SageMaker call may take with its
    # retry at the default read timeout
    parameter = template["Parameters"]["InvokerTimeoutSeconds"]
    needed = seconds_needed(float(DEFAULT_READ_TIMEOUT))

    # Then no timeout shorter than that call can be chosen (it was 5 s: Lambda would end a
    # slow request before the invoker could answer 504), and the default allows it
    assert parameter["MinValue"] == math.ceil(needed)
    assert parameter["MinValue"] <= parameter["Default"] <= parameter["MaxValue"]


@pytest.mark.parametrize(
    ("name", "admitted"),
    [
        ("", True),
        ("churn-ic", True),
        ("Churn-IC-2", True),
        ("c" * 63, True),
        ("-churn", False),
        ("churn-", False),
        ("churn_ic", False),
        ("c" * 64, False),
    ],
)
def test_inference_component_parameter_admits_what_sagemaker_names_a_component(
    template, name, admitted
):
    parameter = template["Parameters"]["InferenceComponentName"]
    matched = re.fullmatch(parameter["AllowedPattern"], name) is not None
    assert (matched and len(name) <= parameter["MaxLength"]) is admitted
    assert parameter["Default"] == ""


@pytest.mark.parametrize(
    ("name", "admitted"),
    [
        ("", True),  # unbound invoker, or the example endpoint
        ("churn", True),
        ("churn-prod-2", True),
        ("a--b", True),
        ("x" * 63, True),
        ("Churn", False),
        ("churn-Prod", False),
        ("CHURN", False),
        ("-churn", False),
        ("churn-", False),
        ("churn_prod", False),
        ("churn.prod", False),
        ("x" * 64, False),
    ],
)
def test_endpoint_name_parameter_admits_lower_case_sagemaker_names_only(template, name, admitted):
    # Given the EndpointName parameter
    parameter = template["Parameters"]["EndpointName"]

    # When a name is checked against its pattern (CloudFormation matches the whole value)
    matched = re.fullmatch(parameter["AllowedPattern"], name) is not None

    # Then lower-case SageMaker names pass and anything IAM could mismatch is refused
    assert matched is admitted
    assert parameter["MaxLength"] == 63
    if matched and name:
        assert re.fullmatch(SAGEMAKER_NAME_PATTERN, name)


def test_example_endpoint_is_served_by_this_provider_inside_this_vpc(template, resources):
    # Given the optional example endpoint
    example = resources["ExampleEndpoint"]
    properties = example["Properties"]

    # Then it exists only on request, as a Custom::SageMakerEndpoint of this stack's provider
    assert example["Condition"] == "DeployExample"
    assert template["Conditions"]["DeployExample"] == {
        "Fn::Equals": [{"Ref": "DeployExampleEndpoint"}, "true"]
    }
    assert template["Parameters"]["DeployExampleEndpoint"]["Default"] == "false"
    assert example["Type"] == "Custom::SageMakerEndpoint"
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["ProviderFunction", "Arn"]}

    # And its model runs in the private subnets with the model security group
    assert properties["VpcConfig"]["SecurityGroupIds"] == [
        {"Fn::GetAtt": ["ModelSecurityGroup", "GroupId"]}
    ]
    assert list(branches(properties["VpcConfig"]["Subnets"])) == PRIVATE_SUBNETS

    # And it is one real-time variant of the example parameters
    assert properties["PrimaryContainer"] == {
        "Image": {"Ref": "ExampleImageUri"},
        "ModelDataUrl": {"Ref": "ExampleModelDataUrl"},
    }
    (variant,) = properties["ProductionVariants"]
    assert variant["InstanceType"] == {"Ref": "ExampleInstanceType"}
    assert "ServerlessConfig" not in variant
    assert "AsyncInferenceConfig" not in properties

    # And its name is left to the provider, which derives a lower-case one that IAM matches
    assert "EndpointName" not in properties

    # And it is created after, and deleted before, the S3 gateway it downloads its model through
    assert "S3GatewayEndpoint" in set(references(properties))


def test_invoker_may_invoke_its_one_endpoint_and_its_components_and_nothing_else(
    template, resources
):
    # Given the invoker's statements that allow SageMaker actions
    statements = [
        s
        for who, s in iam_statements(resources)
        if who == "InvokerFunction" and any(a.startswith("sagemaker:") for a in allowed_actions(s))
    ]

    # Then there are two: real-time and async invocation of the endpoint the function calls,
    # and real-time invocation of inference components (policy_sentry's copy of the service
    # authorization reference: InvokeEndpoint with an InferenceComponentName is authorized
    # against the endpoint and the component, and no other resource type)
    endpoint_statement, component_statement = statements
    assert allowed_actions(endpoint_statement) == INVOKER_ACTIONS
    arn, variables = endpoint_statement["Resource"]["Fn::Sub"]
    assert arn == f"{SAGEMAKER_ARN}endpoint/${{TargetEndpointName}}"
    invoker_environment = resources["InvokerFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["TargetEndpointName"] == invoker_environment["SAGEMAKER_ENDPOINT_NAME"]
    assert allowed_actions(component_statement) == {"sagemaker:InvokeEndpoint"}
    assert component_statement["Resource"] == {"Fn::Sub": f"{SAGEMAKER_ARN}inference-component/*"}
    checked_against = {
        row["resource_arn_format"].split(":", 5)[5].split("/")[0]
        for row in get_action_data("sagemaker", "InvokeEndpoint")["sagemaker"]
        if row["resource_arn_format"] != "*"
    }
    assert checked_against == {"endpoint", "inference-component"}

    # And both are only there when the invoker has an endpoint to call
    conditionals = [
        s
        for s in resources["InvokerFunction"]["Properties"]["Policies"][0]["Statement"]
        if "Fn::If" in s
    ]
    assert len(conditionals) == 2
    for conditional in conditionals:
        assert conditional["Fn::If"][0] == "HasInvokeTarget"
        assert conditional["Fn::If"][2] == NO_VALUE
    assert template["Conditions"]["HasInvokeTarget"] == {
        "Fn::Or": [{"Condition": "DeployExample"}, {"Condition": "HasEndpointName"}]
    }


def test_no_statement_with_a_sagemaker_invoke_action_has_a_wildcard_endpoint(resources):
    # Given every statement that allows invoking an endpoint
    invoking = [s for _, s in iam_statements(resources) if allowed_actions(s) & INVOKER_ACTIONS]
    assert invoking

    # Then its resources name endpoints exactly: no "*", no endpoint/*. Only inference
    # components may be any: the same request's endpoint ARN confines them to that endpoint's.
    for statement in invoking:
        for resource in as_list(statement["Resource"]):
            assert resource != "*"
            sub = resource["Fn::Sub"] if isinstance(resource, dict) else resource
            arn = sub[0] if isinstance(sub, list) else sub
            assert "*" not in arn or arn == f"{SAGEMAKER_ARN}inference-component/*"
            if "inference-component" in arn:
                assert allowed_actions(statement) == {"sagemaker:InvokeEndpoint"}


def test_s3_access_to_the_payload_bucket_is_limited_to_the_async_prefixes(resources):
    # Given every statement on the async payload bucket
    granted: dict[str, set[tuple[str, str]]] = {}
    for who, statement in iam_statements(resources):
        resources_named = as_list(statement.get("Resource", []))
        if "AsyncPayloadBucket" not in set(references(resources_named)):
            continue
        for resource in resources_named:
            if resource == {"Fn::GetAtt": ["AsyncPayloadBucket", "Arn"]}:
                # Then the bucket itself is only listed, and only under async prefixes
                listed = statement["Condition"]["StringLike"]["s3:prefix"]
                for prefix in (item.removesuffix("*") for item in listed):
                    assert prefix in ASYNC_PREFIXES, listed
                    for action in allowed_actions(statement):
                        granted.setdefault(who, set()).add((action, prefix))
                continue
            # Then each names objects under one of the async prefixes, never the whole bucket
            arn = resource["Fn::Sub"]
            prefix = arn.removeprefix("${AsyncPayloadBucket.Arn}/").removesuffix("*")
            assert prefix in ASYNC_PREFIXES, arn
            for action in allowed_actions(statement):
                granted.setdefault(who, set()).add((action, prefix))

    # And the invoker writes request bodies and reads (and may list, so that a result not
    # written yet is a 404, not a 403) results and failures, nothing more
    assert granted["InvokerFunction"] == {
        ("s3:PutObject", "async-input/"),
        ("s3:GetObject", "async-output/"),
        ("s3:GetObject", "async-failure/"),
        ("s3:ListBucket", "async-output/"),
        ("s3:ListBucket", "async-failure/"),
    }
    # And models on the default execution role read request bodies and write results
    assert granted["SageMakerExecutionRoleAsyncPayloadPolicy"] == {
        ("s3:GetObject", "async-input/"),
        ("s3:PutObject", "async-output/"),
        ("s3:PutObject", "async-failure/"),
    }


def test_invoker_has_no_permission_beyond_invoking_and_its_payloads(resources, invoker):
    # Given the invoker's own statements
    actions = set().union(
        *(allowed_actions(s) for who, s in iam_statements(resources) if who == "InvokerFunction")
    )

    # Then they grant invocation and the async payload objects only; logs, X-Ray and network
    # interfaces come from the managed policies SAM attaches, and no managed policy is named
    assert actions == INVOKER_ACTIONS | {"s3:PutObject", "s3:GetObject", "s3:ListBucket"}
    assert all(isinstance(policy, dict) for policy in invoker["Policies"])


def test_async_payload_bucket_is_private_encrypted_tls_only_and_expires_requests(
    template, resources
):
    # Given the async payload bucket and its policy
    bucket = resources["AsyncPayloadBucket"]["Properties"]
    policy = resources["AsyncPayloadBucketPolicy"]["Properties"]

    # Then objects are encrypted at rest and the bucket can never be public
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}

    # And requests without TLS are refused
    assert policy["Bucket"] == {"Ref": "AsyncPayloadBucket"}
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {"Fn::Sub": "${AsyncPayloadBucket.Arn}/*"} in deny["Resource"]

    # And request bodies expire after the configured number of days
    (expiry,) = [
        rule
        for rule in bucket["LifecycleConfiguration"]["Rules"]
        if rule.get("Prefix") == "async-input/"
    ]
    assert expiry["Status"] == "Enabled"
    assert expiry["ExpirationInDays"] == {"Ref": "AsyncInputExpirationInDays"}
    assert template["Parameters"]["AsyncInputExpirationInDays"]["Default"] == 7


def test_function_urls_are_iam_authenticated_and_optional(template, resources):
    # Given every Function URL in the template
    urls = {
        logical_id: resource
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::Lambda::Url"
    }

    # Then the invoker's is created only on request, and every URL demands SigV4 (never NONE)
    assert urls["InvokerFunctionUrl"]["Condition"] == "CreateInvokerUrl"
    assert urls["InvokerFunctionUrl"]["Properties"]["TargetFunctionArn"] == {
        "Fn::GetAtt": ["InvokerFunction", "Arn"]
    }
    assert template["Parameters"]["CreateFunctionUrl"]["Default"] == "false"
    assert {url["Properties"]["AuthType"] for url in urls.values()} == {"AWS_IAM"}
    for resource in resources.values():
        config = resource.get("Properties", {}).get("FunctionUrlConfig")
        assert config is None or config["AuthType"] == "AWS_IAM"

    # And nothing grants the public a way in
    assert [r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"] == []


def test_outputs_export_the_network_and_name_the_invoker(template):
    # Given the outputs
    outputs = template["Outputs"]

    # Then consumer stacks can import the VPC, the private subnets and the model security group
    for name in ("VpcId", "PrivateSubnetIds", "ModelSecurityGroupId"):
        assert outputs[name]["Export"]["Name"] == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}
    assert outputs["ModelSecurityGroupId"]["Value"] == {
        "Fn::GetAtt": ["ModelSecurityGroup", "GroupId"]
    }
    subnets = list(branches(outputs["PrivateSubnetIds"]["Value"]))
    assert subnets == [
        {"Fn::Join": [",", NEW_SUBNETS]},
        {"Fn::Join": [",", {"Ref": "ExistingSubnetIds"}]},
    ]

    # And the invoker, its payload bucket and its optional URL are named
    assert outputs["InvokerFunctionArn"]["Value"] == {"Fn::GetAtt": ["InvokerFunction", "Arn"]}
    assert outputs["InvokerFunctionName"]["Value"] == {"Ref": "InvokerFunction"}
    assert outputs["AsyncPayloadBucketName"]["Value"] == {"Ref": "AsyncPayloadBucket"}
    assert outputs["InvokerFunctionUrl"]["Condition"] == "CreateInvokerUrl"
    assert outputs["InvokerFunctionUrl"]["Value"] == {
        "Fn::GetAtt": ["InvokerFunctionUrl", "FunctionUrl"]
    }

    # And async endpoints know where to write results and failures
    assert outputs["AsyncOutputS3Uri"]["Value"] == {
        "Fn::Sub": "s3://${AsyncPayloadBucket}/async-output/"
    }
    assert outputs["AsyncFailureS3Uri"]["Value"] == {
        "Fn::Sub": "s3://${AsyncPayloadBucket}/async-failure/"
    }


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
