"""What IAM authorizes for one API call, read from policy_sentry's bundled copy of the AWS
service authorization reference: the action, the resource ARNs it is checked against, and the
condition keys that apply. Nothing here is a hand-kept list of actions or keys, except the few
API operations whose IAM action has another name (below)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from policy_sentry.querying.actions import get_action_data

# API operations authorized under another action name (the service authorization reference
# lists actions, not operations).
OPERATION_ACTIONS = {
    ("lambda", "Invoke"): "InvokeFunction",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
}
# ARN placeholders filled from a request member of another name.
PLACEHOLDER_MEMBERS = {"BucketName": "Bucket", "ObjectName": "Key"}
# Placeholders that no request member gives: a scalable target's ARN holds an ID that
# Application Auto Scaling assigns (its request's ResourceId is "endpoint/<name>/variant/<v>").
UNKNOWABLE_PLACEHOLDERS = {("application-autoscaling", "ResourceId")}
UNKNOWN = "\x00unknown\x00"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")
_TAG_ACTIONS = {"AddTags", "TagResource"}


@dataclass(frozen=True)
class Row:
    """One line of the reference: an action on one resource type (or on "*")."""

    action: str
    access_level: str
    arn_format: str
    condition_keys: frozenset[str]
    dependent_actions: tuple[str, ...]

    def supports(self, key: str) -> bool:
        """Whether IAM sets this condition key for the row (global keys always apply)."""
        if key.startswith("aws:") and not key.startswith(
            ("aws:ResourceTag/", "aws:RequestTag/", "aws:TagKeys")
        ):
            return True
        for listed in self.condition_keys:
            template = re.escape(listed)
            template = re.sub(r"\\\$\\\{[A-Za-z]+\\\}|<key>", ".+", template)
            if re.fullmatch(template, key, flags=re.IGNORECASE):
                return True
        return False


@cache
def rows(prefix: str, action: str) -> tuple[Row, ...]:
    data = get_action_data(prefix, action)
    if not data or not data.get(prefix):
        return ()
    return tuple(
        Row(
            action=f"{prefix}:{action}",
            access_level=item["access_level"],
            arn_format=item["resource_arn_format"],
            condition_keys=frozenset(item["condition_keys"]),
            dependent_actions=tuple(item["dependent_actions"] or ()),
        )
        for item in data[prefix]
    )


def action_of(service: str, signing_name: str, operation: str) -> tuple[str, str] | None:
    """(IAM prefix, action) of a botocore operation: the client's name or its signing name is
    the prefix (sagemaker-runtime signs as sagemaker, cloudwatch as monitoring)."""
    for prefix in (service, signing_name):
        action = OPERATION_ACTIONS.get((prefix, operation), operation)
        if rows(prefix, action):
            return prefix, action
    return None


@dataclass(frozen=True)
class Target:
    """One resource a call is authorized against, with the row that says which keys apply."""

    row: Row
    arn: str

    @property
    def known(self) -> bool:
        return UNKNOWN not in self.arn


@dataclass
class Location:
    partition: str
    region: str
    account: str


def _format_regex(arn_format: str) -> re.Pattern[str]:
    parts = _PLACEHOLDER.split(arn_format)
    pattern = ""
    for index, part in enumerate(parts):
        if index % 2 == 0:
            pattern += re.escape(part)
        else:
            pattern += "[^:]*" if part in {"Partition", "Region", "Account"} else ".+"
    return re.compile(pattern)


def _arn_members(params: dict[str, Any]) -> list[str]:
    return [
        value for value in params.values() if isinstance(value, str) and value.startswith("arn:")
    ]


def _fill(
    prefix: str, arn_format: str, params: dict[str, Any], where: Location
) -> list[str] | None:
    """Every ARN the format names for these parameters, or None when a member is missing."""
    fixed = {"Partition": where.partition, "Region": where.region, "Account": where.account}
    names = _PLACEHOLDER.findall(arn_format)
    choices: dict[str, list[str]] = {}
    for name in names:
        if name in fixed:
            choices[name] = [fixed[name]]
            continue
        if (prefix, name) in UNKNOWABLE_PLACEHOLDERS:
            choices[name] = [UNKNOWN]
            continue
        member = PLACEHOLDER_MEMBERS.get(name, name)
        value = params.get(member, params.get(f"{member}s"))
        if isinstance(value, str) and not value.startswith("arn:"):
            choices[name] = [value]
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            choices[name] = value
        else:
            return None
    arns = [arn_format]
    for name in names:
        arns = [arn.replace(f"${{{name}}}", choice, 1) for arn in arns for choice in choices[name]]
    return arns


def targets(prefix: str, action: str, params: dict[str, Any], where: Location) -> list[Target]:
    """The resources IAM checks for this call: every resource row whose ARN the request names
    (by members of the placeholders' names, or by a member holding a full ARN of that format);
    the "*" row when the action has no resource row the request names."""
    found: list[Target] = []
    star = None
    for row in rows(prefix, action):
        if row.arn_format == "*":
            star = row
            continue
        regex = _format_regex(row.arn_format)
        named = [arn for arn in _arn_members(params) if regex.fullmatch(arn)]
        if named:
            found.extend(Target(row, arn) for arn in named)
            continue
        filled = _fill(prefix, row.arn_format, params, where)
        if filled:
            found.extend(Target(row, arn) for arn in filled)
    if not found and star:
        found.append(Target(star, "*"))
    return found


def request_tags(params: dict[str, Any]) -> dict[str, str] | None:
    tags = params.get("Tags")
    if isinstance(tags, list):
        return {tag["Key"]: tag.get("Value", "") for tag in tags}
    if isinstance(tags, dict):
        return {str(key): str(value) for key, value in tags.items()}
    return None


@dataclass
class Dependent:
    """An action IAM also checks for a call (the reference's "dependent actions")."""

    action: str
    arn: str
    context: dict[str, Any] = field(default_factory=dict)
    request_tags: dict[str, str] = field(default_factory=dict)


def role_arns(params: Any) -> list[str]:
    """Role ARNs anywhere in a request (ExecutionRoleArn, RoleARN, ...): each is passed."""
    if isinstance(params, dict):
        found = []
        for key, value in params.items():
            if re.search(r"Role(Arn|ARN)$", key) and isinstance(value, str):
                found.append(value)
            else:
                found.extend(role_arns(value))
        return found
    if isinstance(params, list):
        return [arn for item in params for arn in role_arns(item)]
    return []


def dependents(
    prefix: str, operation: str, params: dict[str, Any], found: list[Target]
) -> tuple[list[Dependent], list[str]]:
    """Dependent actions that apply to this request, and those listed but not evaluated."""
    applied: list[Dependent] = []
    skipped: list[str] = []
    listed = {action for target in found for action in target.row.dependent_actions}
    tags = request_tags(params)
    for action in sorted(listed):
        service, name = action.split(":", 1)
        if action == "iam:PassRole":
            applied.extend(
                Dependent(action, arn, {"iam:PassedToService": f"{prefix}.amazonaws.com"})
                for arn in role_arns(params)
            )
        elif service == prefix and name in _TAG_ACTIONS:
            if tags:
                applied.extend(
                    Dependent(action, target.arn, {f"{prefix}:TaggingAction": operation}, tags)
                    for target in found
                    if target.row.arn_format != "*"
                    and any(
                        _format_regex(row.arn_format).fullmatch(target.arn)
                        for row in rows(service, name)
                    )
                )
        else:
            skipped.append(action)
    return applied, skipped
