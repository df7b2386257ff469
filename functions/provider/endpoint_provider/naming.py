"""Names, ARNs and ownership tags: deterministic, so a redelivered request finds its own work.

SageMaker names are at most 63 characters of letters, digits and hyphens, unique per account
and region. Derived names are lower case because SageMaker lower-cases names inside ARNs and
IAM compares ARNs case-sensitively.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

MAX_NAME_LENGTH = 63
DIGEST_LENGTH = 10
TAG_PREFIX = "sagemaker-endpoint-provider:"
STACK_TAG = f"{TAG_PREFIX}stack-id"
LOGICAL_ID_TAG = f"{TAG_PREFIX}logical-id"
ENDPOINT_TAG = f"{TAG_PREFIX}endpoint"
COMPONENT_TAG = f"{TAG_PREFIX}inference-component"
OWNERSHIP_TAG_COUNT = len((STACK_TAG, LOGICAL_ID_TAG, ENDPOINT_TAG))
COMPONENT_OWNERSHIP_TAG_COUNT = OWNERSHIP_TAG_COUNT + 1

_SAGEMAKER_ARN = (
    r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{{12}}:{kind}/(?P<name>[a-zA-Z0-9](-*[a-zA-Z0-9])*)$"
)
_ENDPOINT_ARN = re.compile(_SAGEMAKER_ARN.format(kind="endpoint"))
_COMPONENT_ARN = re.compile(_SAGEMAKER_ARN.format(kind="inference-component"))
_STACK_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):cloudformation:(?P<region>[a-z0-9-]+):"
    r"(?P<account>\d{12}):stack/(?P<name>[^/]+)/"
)


def digest(value: Any, length: int = DIGEST_LENGTH) -> str:
    """A short, stable hash of a JSON-serialisable value, independent of key order."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:length]


def derived_endpoint_name(stack_id: str, logical_id: str) -> str:
    """`<stack>-<logical id>-<hash>`: unique per stack instance, so a re-created stack of the
    same name never collides with what an earlier one left behind."""
    return derived_name(stack_id, logical_id, [stack_id, logical_id])


def derived_name(stack_id: str, logical_id: str, identity: Any) -> str:
    """`<stack>-<logical id>-<hash of identity>`, within SageMaker's 63 characters."""
    stem = _sanitise(f"{stack_name(stack_id)}-{logical_id}")
    suffix = digest(identity, 8)
    return f"{_truncate(stem, MAX_NAME_LENGTH - len(suffix) - 1)}-{suffix}"


def child_name(endpoint_name: str, content: Any) -> str:
    """A model or endpoint config name that changes exactly when its content does."""
    suffix = digest(content)
    return f"{_truncate(endpoint_name.lower(), MAX_NAME_LENGTH - len(suffix) - 1)}-{suffix}"


def child_prefix(endpoint_name: str) -> str:
    """What every child name of this endpoint starts with (see `child_name`)."""
    return _truncate(endpoint_name.lower(), MAX_NAME_LENGTH - DIGEST_LENGTH - 1) + "-"


def endpoint_name_from_arn(physical_id: str | None) -> str | None:
    """The endpoint name in a physical ID, or None for placeholders that never named one."""
    match = _ENDPOINT_ARN.match(physical_id or "")
    return match["name"] if match else None


def component_name_from_arn(physical_id: str | None) -> str | None:
    """The inference component name in a physical ID, or None for placeholders."""
    match = _COMPONENT_ARN.match(physical_id or "")
    return match["name"] if match else None


def stack_name(stack_id: str) -> str:
    match = _STACK_ARN.match(stack_id)
    return match["name"] if match else "stack"


@dataclass(frozen=True)
class StackLocation:
    partition: str
    region: str
    account: str

    @classmethod
    def of(cls, stack_id: str) -> StackLocation:
        match = _STACK_ARN.match(stack_id)
        if not match:
            raise ValueError(f"not a CloudFormation stack ARN: {stack_id}")
        return cls(match["partition"], match["region"], match["account"])

    def endpoint_arn(self, endpoint_name: str) -> str:
        return self.sagemaker_arn("endpoint", endpoint_name)

    def sagemaker_arn(self, kind: str, name: str) -> str:
        """SageMaker lower-cases the name inside its ARNs."""
        return f"arn:{self.partition}:sagemaker:{self.region}:{self.account}:{kind}/{name.lower()}"


@dataclass(frozen=True)
class Owner:
    """The stack resource that owns an endpoint, or an inference component on an endpoint, and
    everything created for it. Every resource carries the stack, the logical ID and the endpoint
    it lives on; a component's also carry its own name, which its children are named after."""

    stack_id: str
    logical_id: str
    endpoint_name: str
    component_name: str | None = None

    @property
    def name(self) -> str:
        """What the owned resource is called, and its children after it."""
        return self.component_name or self.endpoint_name

    @property
    def name_property(self) -> str:
        """The property that names the owned resource."""
        return "InferenceComponentName" if self.component_name else "EndpointName"

    def tags(self) -> dict[str, str]:
        tags = {
            STACK_TAG: self.stack_id,
            LOGICAL_ID_TAG: self.logical_id,
            ENDPOINT_TAG: self.endpoint_name.lower(),
        }
        if self.component_name:
            tags[COMPONENT_TAG] = self.component_name.lower()
        return tags

    def owns(self, tags: dict[str, str]) -> bool:
        """Whether a resource's tags name this stack resource as its owner."""
        return tags.get(STACK_TAG) == self.stack_id and tags.get(LOGICAL_ID_TAG) == self.logical_id

    def owns_child(self, tags: dict[str, str]) -> bool:
        """Whether a model or config was made for this owner's resource (not for an earlier
        one under another name)."""
        if self.component_name:
            return self.owns(tags) and tags.get(COMPONENT_TAG) == self.component_name.lower()
        return self.owns(tags) and tags.get(ENDPOINT_TAG) == self.endpoint_name.lower()


def _sanitise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "endpoint"


def _truncate(name: str, length: int) -> str:
    return name[:length].rstrip("-")
