"""The IAM statements of template.yaml, checked statically and by evaluating requests against
them as one deployment resolves them: ownership enforced by tags, condition keys the IAM
reference supports, what may be passed, written and published, and the S3 gateway's gate."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from endpoint_provider.naming import COMPONENT_TAG, Owner
from localaws.template import load_template
from tests.iam import actions
from tests.iam.checks import DEPLOYMENT, config_needs, volume_key_needs
from tests.iam.evaluation import Request, Unknown, evaluate
from tests.iam.template_policies import (
    TEMPLATE,
    Deployment,
    Resolver,
    function_role,
    resource_policy,
    role_policies,
    translated,
)

ACCOUNT = DEPLOYMENT.account
ARN = f"arn:aws:sagemaker:{DEPLOYMENT.region}:{ACCOUNT}"
OWNER_TAGS = Owner("arn:aws:cloudformation:us-east-1:1:stack/s/1", "Endpoint", "e").tags()
DEFAULT = dataclasses.replace(DEPLOYMENT, parameters={})
MUTATING = {"Write", "Tagging", "Permissions management"}
# Application Auto Scaling checks this one for the provider when it registers a variant; the
# provider never calls it (see the template's comment).
CHECKED_BY_AUTOSCALING = {"sagemaker:UpdateEndpointWeightsAndCapacities"}


def deployed(**parameters: str) -> Deployment:
    return dataclasses.replace(DEFAULT, parameters=parameters)


def provider(deployment: Deployment = DEFAULT):
    return role_policies(function_role("ProviderFunction"), deployment)


def execution_role(deployment: Deployment = DEFAULT):
    return role_policies("SageMakerExecutionRole", deployment)


def allowed(policies, action, resource, **context) -> bool:
    return evaluate(policies, Request(action, resource, context)).allowed


def owned(prefix: str = "aws:ResourceTag") -> dict[str, str]:
    return {f"{prefix}/{key}": value for key, value in OWNER_TAGS.items()}


def statements(policies):
    return [s for policy in policies for s in policy["Statement"]]


# --- ownership ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("sagemaker:DeleteModel", f"{ARN}:model/m"),
        ("sagemaker:DeleteEndpointConfig", f"{ARN}:endpoint-config/c"),
        ("sagemaker:DeleteEndpoint", f"{ARN}:endpoint/e"),
        ("sagemaker:UpdateEndpoint", f"{ARN}:endpoint/e"),
        ("sagemaker:UpdateEndpoint", f"{ARN}:endpoint-config/c"),
    ],
)
def test_the_provider_changes_only_resources_carrying_its_ownership_tags(action, resource):
    # Given the provider's role as deployed by default
    policies = provider()

    # Then it may change a resource that carries the ownership tags, and no other
    assert allowed(policies, action, resource, **owned())
    assert not allowed(policies, action, resource, **{"aws:ResourceTag/team": "churn"})
    partly = dict(list(owned().items())[:2])
    assert not allowed(policies, action, resource, **partly)


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("sagemaker:CreateModel", f"{ARN}:model/m"),
        ("sagemaker:CreateEndpointConfig", f"{ARN}:endpoint-config/c"),
        ("sagemaker:CreateEndpoint", f"{ARN}:endpoint/e"),
        ("sagemaker:CreateEndpoint", f"{ARN}:endpoint-config/c"),
    ],
)
def test_the_provider_creates_only_with_its_ownership_tags(action, resource):
    policies = provider()

    # Then a create carrying the ownership tags is allowed, one without them is not
    assert allowed(policies, action, resource, **owned("aws:RequestTag"))
    assert not allowed(policies, action, resource, **{"aws:RequestTag/team": "churn"})


def test_tags_on_create_need_the_create_and_the_ownership_tags():
    policies = provider()
    tagging = {"sagemaker:TaggingAction": "CreateModel", **owned("aws:RequestTag")}

    # Then AddTags is allowed as part of a create with the ownership tags
    assert allowed(policies, "sagemaker:AddTags", f"{ARN}:model/m", **tagging)
    # And not as a bare AddTags on someone else's resource
    assert not allowed(policies, "sagemaker:AddTags", f"{ARN}:model/m", **owned("aws:RequestTag"))


def test_retagging_never_touches_the_ownership_tags():
    policies = provider()
    endpoint = f"{ARN}:endpoint/e"
    ownership_key = next(iter(OWNER_TAGS))

    # Then user tags change on an owned endpoint
    assert allowed(
        policies, "sagemaker:DeleteTags", endpoint, **owned(), **{"aws:TagKeys": ["team"]}
    )
    assert allowed(policies, "sagemaker:AddTags", endpoint, **owned(), **{"aws:TagKeys": ["team"]})
    # And the ownership tags can be neither removed nor overwritten
    for action in ("sagemaker:DeleteTags", "sagemaker:AddTags"):
        assert not allowed(
            policies, action, endpoint, **owned(), **{"aws:TagKeys": [ownership_key]}
        )
    # And a foreign endpoint cannot be retagged at all
    assert not allowed(policies, "sagemaker:AddTags", endpoint, **{"aws:TagKeys": ["team"]})


def test_every_mutating_sagemaker_grant_of_the_provider_is_conditioned_on_ownership():
    # Given each provider statement that allows a mutating SageMaker action
    ownership_keys = set(OWNER_TAGS)
    checked = 0
    for statement in statements(provider()):
        listed = statement["Action"]
        for action in listed if isinstance(listed, list) else [listed]:
            if not action.startswith("sagemaker:"):
                continue
            (row, *_) = actions.rows("sagemaker", action.split(":")[1])
            if row.access_level not in MUTATING or action in CHECKED_BY_AUTOSCALING:
                continue
            checked += 1
            # Then it requires all ownership tags on the resource or in the request, a
            # component's own name among them for what creates or changes components
            required = {
                key.split("/", 1)[1]
                for key, value in statement["Condition"]["Null"].items()
                if value == "false"
            }
            expected = ownership_keys | ({COMPONENT_TAG} if _about_components(statement) else set())
            assert required == expected, (statement["Sid"], action)
    assert checked, "no mutating SageMaker grant found"


def _about_components(statement: dict[str, Any]) -> bool:
    listed = statement["Action"]
    named = " ".join(listed if isinstance(listed, list) else [listed])
    tagging = statement.get("Condition", {}).get("StringEquals", {}).get("sagemaker:TaggingAction")
    return "InferenceComponent" in named or tagging == "CreateInferenceComponent"


def test_every_condition_key_the_template_uses_applies_to_every_action_it_conditions():
    # Given every identity-policy statement in the template (all optional ones switched on)
    deployment = deployed(
        PassableExecutionRolePattern="sagemaker-*",
        KmsKeyArns=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        AsyncNotificationTopicNamePattern="churn-*",
        EndpointName="churn",
    )
    # A copy: DEPLOYMENT's attributes are shared with the other tests.
    deployment = dataclasses.replace(
        deployment,
        attributes={
            **deployment.attributes,
            ("VpcFlowLogGroup", "Arn"): "arn:aws:logs:us-east-1:1:log-group:f:*",
        },
    )
    resources = translated()["Resources"]
    roles = [name for name, r in resources.items() if r["Type"] == "AWS::IAM::Role"]
    checked = 0
    for role in roles:
        if not Resolver(deployment).exists(role):
            continue
        for statement in statements(role_policies(role, deployment)):
            keys = {key for block in statement.get("Condition", {}).values() for key in block}
            actions_ = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            for action in actions_:
                prefix, name = action.split(":")
                rows = actions.rows(prefix, name)
                # Then the IAM reference knows the action
                assert rows, action
                # And IAM sets each condition key for it (on some resource type it has)
                for key in keys:
                    checked += 1
                    assert any(row.supports(key) for row in rows), (
                        statement.get("Sid"),
                        action,
                        key,
                    )
    assert checked > 30


# --- execution roles the provider may pass -----------------------------------------------------


def test_by_default_only_the_default_execution_role_may_be_passed():
    policies = provider()
    to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    default_role = DEFAULT.attributes[("SageMakerExecutionRole", "Arn")]

    assert allowed(policies, "iam:PassRole", default_role, **to_sagemaker)
    assert not allowed(
        policies, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", **to_sagemaker
    )
    # And never to another service
    assert not allowed(
        policies, "iam:PassRole", default_role, **{"iam:PassedToService": "ec2.amazonaws.com"}
    )


def test_roles_the_operator_names_may_be_passed_and_star_keeps_the_old_meaning():
    to_sagemaker = {"iam:PassedToService": "sagemaker.amazonaws.com"}
    named = provider(deployed(PassableExecutionRolePattern="ml/sagemaker-*"))
    everything = provider(deployed(PassableExecutionRolePattern="*"))

    assert allowed(
        named, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/ml/sagemaker-churn", **to_sagemaker
    )
    assert not allowed(named, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", **to_sagemaker)
    assert allowed(everything, "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", **to_sagemaker)


# --- what SageMaker does with the default execution role ---------------------------------------

ASYNC_CONFIG = {
    "AsyncInferenceConfig": {
        "OutputConfig": {
            "S3OutputPath": "s3://sagemaker-churn/out/",
            "S3FailurePath": "s3://sagemaker-churn/failed/",
            "KmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
            "NotificationConfig": {
                "SuccessTopic": f"arn:aws:sns:us-east-1:{ACCOUNT}:churn-done",
                "ErrorTopic": f"arn:aws:sns:us-east-1:{ACCOUNT}:churn-failed",
            },
        }
    },
    "DataCaptureConfig": {"DestinationS3Uri": "s3://other-bucket/capture/"},
    "KmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
}


def refused(policies, needs) -> set[str]:
    return {f"{n.action} {n.resource}" for n in needs if not evaluate(policies, n).allowed}


def test_sagemaker_writes_outputs_notifies_and_encrypts_only_with_what_the_operator_names():
    needs = config_needs(ASYNC_CONFIG, "us-east-1")

    # Given the default deployment: outputs to sagemaker-* buckets, no topics, no keys
    assert refused(execution_role(), needs) == {
        f"sns:Publish arn:aws:sns:us-east-1:{ACCOUNT}:churn-done",
        f"sns:Publish arn:aws:sns:us-east-1:{ACCOUNT}:churn-failed",
        f"kms:Encrypt arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        f"kms:GenerateDataKey arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        "s3:PutObject arn:aws:s3:::other-bucket/capture/capture-object",
    }

    # When the operator names the topics, the key and the capture bucket
    named = deployed(
        AsyncNotificationTopicNamePattern="churn-*",
        KmsKeyArns=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k",
        InferenceOutputBucketNames="sagemaker-*,other-bucket",
    )

    # Then SageMaker may do all of it
    assert refused(execution_role(named), needs) == set()
    # And never write into a bucket of that name in another account
    elsewhere = Request(
        "s3:PutObject",
        "arn:aws:s3:::other-bucket/capture/capture-object",
        {"s3:ResourceAccount": "999999999999"},
    )
    assert not evaluate(execution_role(named), elsewhere).allowed


def test_a_volume_key_is_granted_to_sagemaker_through_the_provider_only_when_named():
    needs = volume_key_needs(ASYNC_CONFIG, "us-east-1")
    named = deployed(KmsKeyArns=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k")

    assert refused(provider(), needs)
    assert refused(provider(named), needs) == set()
    # And only through SageMaker
    direct = Request("kms:CreateGrant", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k")
    assert not evaluate(provider(named), direct).allowed


# --- the payload bucket and the S3 gateway endpoint --------------------------------------------


def test_async_results_and_failures_expire_like_request_bodies():
    template = load_template(TEMPLATE)
    rules = template["Resources"]["AsyncPayloadBucket"]["Properties"]["LifecycleConfiguration"][
        "Rules"
    ]
    expiry = {rule.get("Prefix"): rule.get("ExpirationInDays") for rule in rules}

    assert expiry["async-input/"] == {"Ref": "AsyncInputExpirationInDays"}
    assert expiry["async-output/"] == {"Ref": "AsyncResultExpirationInDays"}
    assert expiry["async-failure/"] == {"Ref": "AsyncResultExpirationInDays"}
    assert template["Parameters"]["AsyncResultExpirationInDays"]["MinValue"] >= 1


def test_the_s3_gateway_endpoint_lets_through_payloads_and_artifacts_only():
    # Given the endpoint's policy, with buckets for artifacts, outputs and payloads apart
    deployment = dataclasses.replace(
        deployed(ModelArtifactBucketNames="models-*", InferenceOutputBucketNames="outputs-*"),
        refs={"AsyncPayloadBucket": "payloads"},
    )
    document = resource_policy("S3GatewayEndpoint", "PolicyDocument", deployment)
    bucket = "arn:aws:s3:::payloads"

    def passes(action, resource, account=ACCOUNT):
        request = Request(action, resource, {"s3:ResourceAccount": account})
        return evaluate([document], request).allowed

    # Then the invoker's payload traffic and a pending-result check pass
    assert passes("s3:PutObject", f"{bucket}/async-input/request-1")
    assert passes("s3:GetObject", f"{bucket}/async-output/result-1.out")
    assert passes("s3:GetObject", f"{bucket}/async-failure/result-1.out")
    assert passes("s3:ListBucket", bucket)
    # And model artifacts and ECR image layers can be read
    assert passes("s3:GetObject", "arn:aws:s3:::models-churn/churn/model.tar.gz")
    assert passes("s3:ListBucket", "arn:aws:s3:::models-churn")
    assert passes("s3:PutObject", "arn:aws:s3:::outputs-churn/capture/1.jsonl")
    assert passes("s3:GetObject", "arn:aws:s3:::prod-us-east-1-starport-layer-bucket/layer")
    # And nothing else: no other bucket, no other prefix, no deletes
    assert not passes("s3:PutObject", "arn:aws:s3:::exfiltration/dump")
    assert not passes("s3:PutObject", f"{bucket}/elsewhere/x")
    assert not passes("s3:DeleteObject", f"{bucket}/async-input/request-1")
    assert not passes("s3:PutObject", "arn:aws:s3:::models-churn/churn/model.tar.gz")
    assert not passes("s3:PutObject", "arn:aws:s3:::outputs-churn/x", account="999999999999")


# --- the evaluator itself ----------------------------------------------------------------------


def test_the_evaluator_lets_deny_win_and_reports_what_it_cannot_know():
    allow = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}
    deny = {**allow, "Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    tagged = {
        "Effect": "Allow",
        "Action": "sagemaker:DeleteModel",
        "Resource": "*",
        "Condition": {"Null": {"aws:ResourceTag/owner": "false"}},
    }

    assert evaluate([{"Statement": [allow]}], Request("S3:getobject", "arn:aws:s3:::b/k")).allowed
    assert not evaluate(
        [{"Statement": [allow, deny]}],
        Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:SecureTransport": "false"}),
    ).allowed
    with pytest.raises(Unknown):
        evaluate(
            [{"Statement": [tagged]}],
            Request("sagemaker:DeleteModel", "m", unknown_keys=frozenset({"aws:ResourceTag/*"})),
        )


def test_attributes_follow_from_what_the_function_was_given():
    # Given a template whose policy names a queue and a topic by attribute, and a deployment
    # that knows them only by what Ref gives (as a function's environment would tell)
    template = {
        "Resources": {
            "Lost": {"Type": "AWS::SQS::Queue"},
            "Alerts": {"Type": "AWS::SNS::Topic"},
            "Logs": {"Type": "AWS::Logs::LogGroup"},
        }
    }
    deployment = dataclasses.replace(
        DEFAULT,
        refs={
            "Lost": f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/provider-lost",
            "Alerts": f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts",
            "Logs": "/aws/lambda/provider",
        },
    )
    resolver = Resolver(deployment, template)

    # Then the ARNs are those AWS gives
    assert resolver.resolve({"Fn::GetAtt": ["Lost", "Arn"]}) == (
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:provider-lost"
    )
    assert resolver.resolve({"Fn::GetAtt": ["Alerts", "TopicArn"]}) == deployment.refs["Alerts"]
    assert resolver.resolve({"Fn::Sub": "${Logs.Arn}"}) == (
        f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/provider:*"
    )
    # And what cannot follow says where to bind it
    with pytest.raises(KeyError, match="DEPLOYMENT"):
        resolver.resolve({"Fn::GetAtt": ["Lost", "RedrivePolicy"]})
