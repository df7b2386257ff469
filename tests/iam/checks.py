"""Every recorded call, and what SageMaker does with the default execution role for the
features those calls enable, checked against the roles template.yaml gives.

A finding is a request IAM would refuse (`not granted`) or one whose decision depends on
something the recording does not know (`not evaluable`): both fail the test.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from localaws.cloudformation import ACCOUNT_ID, REGION
from localaws.demo import PAYLOAD_BUCKET, PROVIDER_STACK
from localaws.functions import DEFAULT_ROLE_ARN
from tests.iam import actions
from tests.iam.evaluation import Request, Unknown, evaluate
from tests.iam.recorder import RecordedCall
from tests.iam.template_policies import (
    Deployment,
    function_of,
    function_role,
    resource_policy,
    role_policies,
    translated,
)

# The provider stack as the integration tests and the demo deploy it: the operator names the
# execution roles the tests pass (role/r) and their async notification topics (churn-...);
# everything else is the template's default. Names of the stack's own resources are those
# localaws gives them; each function's environment then binds what it saw (see Deployment).
DEPLOYMENT = Deployment(
    stack_name=PROVIDER_STACK,
    region=REGION,
    account=ACCOUNT_ID,
    parameters={
        "PassableExecutionRolePattern": "r",
        "AsyncNotificationTopicNamePattern": "churn-*",
    },
    refs={
        "AsyncPayloadBucket": PAYLOAD_BUCKET,
        # The function name localaws.demo runs the provider under.
        "ProviderFunction": f"{PROVIDER_STACK}-ProviderFunction",
        "ProviderLostInvocationsQueue": (
            f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{PROVIDER_STACK}-lost-invocations"
        ),
    },
    attributes={
        ("SageMakerExecutionRole", "Arn"): DEFAULT_ROLE_ARN,
        ("ProviderQueueKey", "Arn"): (
            f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
        ),
    },
)
EXECUTION_ROLE = "SageMakerExecutionRole"
# The local AWS is one account: every resource a call names is in it.
ONE_ACCOUNT_KEYS = {"s3:ResourceAccount"}
GATEWAY = "S3GatewayEndpoint"


@dataclass
class Finding:
    kind: str  # "not granted" | "not evaluable"
    who: str
    action: str
    resource: str
    source: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind}: {self.who} {self.action} on {self.resource} ({self.source})" + (
            f": {self.detail}" if self.detail else ""
        )


@dataclass
class Report:
    calls: Counter = field(default_factory=Counter)
    requests: int = 0
    sagemaker_needs: int = 0
    findings: list[Finding] = field(default_factory=list)
    dependents_not_evaluated: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        per_function = ", ".join(f"{name} {count}" for name, count in sorted(self.calls.items()))
        not_granted = sum(1 for f in self.findings if f.kind == "not granted")
        lines = [
            f"calls recorded {sum(self.calls.values())} ({per_function}); IAM requests "
            f"evaluated {self.requests} (with dependent actions); not granted {not_granted}; "
            f"not evaluable {len(self.findings) - not_granted}",
            f"SageMaker's use of the default execution role: {self.sagemaker_needs} requests "
            "evaluated",
        ]
        if self.dependents_not_evaluated:
            skipped = ", ".join(sorted(self.dependents_not_evaluated))
            lines.append(f"dependent actions listed but not evaluated: {skipped}")
        return lines


def _kebab_to_member(key: str) -> str:
    return "".join(part.capitalize() for part in key.split(":", 1)[1].split("-"))


def _context(call: RecordedCall, target: actions.Target, prefix: str) -> Request:
    context: dict[str, Any] = {}
    unknown: set[str] = set()
    row = target.row
    tags = actions.request_tags(call.params)
    if tags is not None and row.supports("aws:RequestTag/any"):
        context.update({f"aws:RequestTag/{k}": v for k, v in tags.items()})
    keys = list(tags or {}) or call.params.get("TagKeys")
    if keys and row.supports("aws:TagKeys"):
        context["aws:TagKeys"] = list(keys)
    if row.supports("aws:ResourceTag/any") and target.arn != "*":
        if target.arn in call.resource_tags:
            for key, value in (call.resource_tags[target.arn] or {}).items():
                context[f"aws:ResourceTag/{key}"] = value
                context[f"{prefix}:ResourceTag/{key}"] = value
        else:
            unknown |= {"aws:ResourceTag/*", f"{prefix}:ResourceTag/*"}
    for key in row.condition_keys:
        if key in ONE_ACCOUNT_KEYS:
            context[key] = ACCOUNT_ID
        elif key.startswith(f"{prefix}:") and "$" not in key and "<" not in key:
            member = _kebab_to_member(key)
            if isinstance(call.params.get(member), str):
                context[key] = call.params[member]
            else:
                unknown.add(key)
    return Request(row.action, target.arn, context, frozenset(unknown))


class Checker:
    def __init__(self, deployment: Deployment = DEPLOYMENT):
        self.deployment = deployment
        self.report = Report()
        self._policies: dict[str, list[dict[str, Any]]] = {}

    def policies(self, role: str, deployment: Deployment) -> list[dict[str, Any]]:
        key = f"{role}{deployment!r}"
        if key not in self._policies:
            self._policies[key] = role_policies(role, deployment)
        return self._policies[key]

    def check(self, request: Request, role: str, deployment: Deployment, who: str, source: str):
        self.report.requests += 1
        try:
            decision = evaluate(self.policies(role, deployment), request)
        except Unknown as error:
            self._find("not evaluable", who, request, source, f"condition key {error} unknown")
            return
        if not decision.allowed:
            keys = ", ".join(sorted(request.context)) or "none"
            self._find("not granted", who, request, source, f"request's condition keys: {keys}")

    def _find(self, kind: str, who: str, request: Request, source: str, detail: str) -> None:
        self.report.findings.append(
            Finding(kind, who, request.action, request.resource, source, detail)
        )

    # --- the functions' own calls ---------------------------------------------------------------
    def check_calls(self, calls: list[RecordedCall]) -> Report:
        for call in calls:
            self.check_call(call)
        self.check_sagemaker_needs(calls)
        return self.report

    def check_call(self, call: RecordedCall) -> None:
        function = function_of(call.code_file, call.code_name)
        who = function or f"{call.code_file}:{call.code_name}"
        self.report.calls[who] += 1
        source = call.source or "outside pytest"
        if function is None:
            self._find_raw("not evaluable", who, call, source, "no one function in template.yaml")
            return
        found = actions.action_of(call.service, call.signing_name, call.operation)
        if found is None:
            self._find_raw("not evaluable", who, call, source, "operation not in the IAM reference")
            return
        prefix, action = found
        deployment = self.deployment.with_environment(function, call.environment)
        role = function_role(function)
        where = actions.Location(deployment.partition, call.region, ACCOUNT_ID)
        targets = actions.targets(prefix, action, call.params, where)
        if not targets:
            self._find_raw("not evaluable", who, call, source, "no resource ARN in the request")
            return
        for target in targets:
            request = _context(call, target, prefix)
            self.check(request, role, deployment, who, source)
            if prefix == "s3" and self._in_vpc(function):
                self.check_gateway(request, deployment, who, source)
        applied, skipped = actions.dependents(prefix, call.operation, call.params, targets)
        self.report.dependents_not_evaluated.update(skipped)
        for dependent in applied:
            tags = dependent.request_tags
            context = {**dependent.context, **{f"aws:RequestTag/{k}": v for k, v in tags.items()}}
            if tags:
                context["aws:TagKeys"] = list(tags)
            request = Request(dependent.action, dependent.arn, context)
            self.check(request, role, deployment, who, source)

    def _find_raw(self, kind: str, who: str, call: RecordedCall, source: str, detail: str):
        self.report.findings.append(
            Finding(kind, who, f"{call.service}.{call.operation}", "-", source, detail)
        )

    def _in_vpc(self, function: str) -> bool:
        return "VpcConfig" in translated()["Resources"][function]["Properties"]

    def check_gateway(self, request: Request, deployment: Deployment, who: str, source: str):
        """S3 calls from a function in the VPC also pass the gateway endpoint's policy."""
        document = resource_policy(GATEWAY, "PolicyDocument", deployment)
        if document is None:
            return
        self.report.requests += 1
        if not evaluate([document], request).allowed:
            self._find("not granted", f"{who} via {GATEWAY}", request, source, "")

    # --- what SageMaker does with the default execution role --------------------------------
    def check_sagemaker_needs(self, calls: list[RecordedCall]) -> None:
        roles_of_models: dict[str, str] = {}
        for call in calls:
            function = function_of(call.code_file, call.code_name)
            if call.service != "sagemaker" or function is None:
                continue
            deployment = self.deployment.with_environment(function, call.environment)
            default_role = deployment.attributes[(EXECUTION_ROLE, "Arn")]
            source = call.source or "outside pytest"
            if call.operation == "CreateModel":
                roles_of_models[call.params["ModelName"]] = call.params.get("ExecutionRoleArn")
                if call.params.get("ExecutionRoleArn") == default_role:
                    for need in model_needs(call.params, call.region):
                        self._need(need, EXECUTION_ROLE, deployment, source)
            elif call.operation == "CreateEndpointConfig":
                models = {
                    variant.get("ModelName")
                    for key in ("ProductionVariants", "ShadowProductionVariants")
                    for variant in call.params.get(key, [])
                }
                uses_default = call.params.get("ExecutionRoleArn") == default_role or any(
                    roles_of_models.get(model) == default_role for model in models
                )
                if uses_default:
                    for need in config_needs(call.params, call.region):
                        self._need(need, EXECUTION_ROLE, deployment, source)
                for need in volume_key_needs(call.params, call.region):
                    self._need(need, function_role(function), deployment, source)

    def _need(self, request: Request, role: str, deployment: Deployment, source: str) -> None:
        self.report.sagemaker_needs += 1
        who = f"SageMaker as {role}"
        if "\x00" in request.resource:
            self.report.requests += 1
            self._find("not evaluable", who, request, source, "a KMS key given by alias or ID")
            return
        self.check(request, role, deployment, who, source)


_S3_URI = re.compile(r"^(?:s3://|https://[^/]+/)(?P<bucket>[^/]+)/?(?P<key>.*)$")
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repository>[^:@]+)"
)


def _in_account(action: str, resource: str) -> Request:
    """An S3 request on a bucket of the local AWS's one account."""
    return Request(action, resource, {"s3:ResourceAccount": ACCOUNT_ID})


def _object(uri: str, key_suffix: str = "") -> str | None:
    match = _S3_URI.match(uri or "")
    if not match:
        return None
    return f"arn:aws:s3:::{match['bucket']}/{match['key']}{key_suffix}"


def _key_arn(key: str | None, region: str) -> str | None:
    if not key:
        return None
    if key.startswith("arn:"):
        return key
    return f"kms-key-by-alias-or-id\x00{key}"


def model_needs(params: dict[str, Any], region: str) -> list[Request]:
    """SageMaker, as the model's execution role: pulls each image, reads each artifact, and
    makes network interfaces in the model's subnets."""
    needs: list[Request] = []
    containers = params.get("Containers") or [params.get("PrimaryContainer") or {}]
    for container in containers:
        image = _ECR_IMAGE.match(container.get("Image", ""))
        if image:
            repository = (
                f"arn:aws:ecr:{image['region']}:{image['account']}:repository/{image['repository']}"
            )
            needs.append(Request("ecr:GetAuthorizationToken", "*"))
            needs += [
                Request(action, repository)
                for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
            ]
        artifact = _object(container.get("ModelDataUrl"))
        if artifact:
            needs.append(_in_account("s3:GetObject", artifact))
        source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
        if source.get("S3Uri"):
            needs.append(_in_account("s3:GetObject", _object(source["S3Uri"], "model-file")))
            bucket = _object(source["S3Uri"]).split("/", 1)[0]
            needs.append(_in_account("s3:ListBucket", bucket))
    vpc = params.get("VpcConfig") or {}
    for kind, member in (("subnet", "Subnets"), ("security-group", "SecurityGroupIds")):
        ids = vpc.get(member, [])
        needs += [
            Request("ec2:CreateNetworkInterface", f"arn:aws:ec2:{region}:{ACCOUNT_ID}:{kind}/{id_}")
            for id_ in ids
        ]
    return needs


def config_needs(params: dict[str, Any], region: str) -> list[Request]:
    """SageMaker, as the execution role of the config's models: writes async results and
    failures, notifies their topics, writes captured data, with the keys the config names."""
    needs: list[Request] = []
    output = (params.get("AsyncInferenceConfig") or {}).get("OutputConfig") or {}
    for path in (output.get("S3OutputPath"), output.get("S3FailurePath")):
        if path:
            needs.append(_in_account("s3:PutObject", _object(path, "result-object")))
    notification = output.get("NotificationConfig") or {}
    for topic in (notification.get("SuccessTopic"), notification.get("ErrorTopic")):
        if topic:
            needs.append(Request("sns:Publish", topic))
    capture = params.get("DataCaptureConfig") or {}
    if capture.get("DestinationS3Uri"):
        captured = _object(capture["DestinationS3Uri"], "capture-object")
        needs.append(_in_account("s3:PutObject", captured))
    for key in (output.get("KmsKeyId"), capture.get("KmsKeyId")):
        arn = _key_arn(key, region)
        if arn:
            needs += [Request(action, arn) for action in ("kms:Encrypt", "kms:GenerateDataKey")]
    return needs


def volume_key_needs(params: dict[str, Any], region: str) -> list[Request]:
    """The config's KmsKeyId encrypts instance volumes: SageMaker uses it by a grant that the
    caller of CreateEndpoint (the provider) creates through SageMaker."""
    arn = _key_arn(params.get("KmsKeyId"), region)
    if not arn:
        return []
    via = {"kms:ViaService": f"sagemaker.{region}.amazonaws.com"}
    return [Request(action, arn, via) for action in ("kms:CreateGrant", "kms:DescribeKey")]
