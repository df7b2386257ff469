"""Records every AWS call the project's Lambda functions make, as IAM would see it.

botocore clients are patched at creation: a client created while code of a function is on the
stack (functions/<name>/, or an inline function run under the file name `<inline:LogicalId>`)
belongs to that function, and each of its calls is recorded with its parameters, region, the
function's environment and which test made it. For calls IAM may check against the target's
tags (writes and tagging), the target's tags are read at that moment, from the same local AWS.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.iam import actions

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
INLINE_PREFIX = "<inline:"
# How each service answers "which tags does this resource carry" (for aws:ResourceTag).
TAG_READERS = {
    "sagemaker": ("sagemaker", "list_tags", "ResourceArn", "Tags"),
    "cloudwatch": ("cloudwatch", "list_tags_for_resource", "ResourceARN", "Tags"),
    "application-autoscaling": (
        "application-autoscaling",
        "list_tags_for_resource",
        "ResourceARN",
        "Tags",
    ),
}
_SECRETS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
_MUTATING = {"Write", "Tagging", "Permissions management"}
UNREAD = "unread"
# Reads of a resource's tags SageMaker may throttle before they are given up as unread.
THROTTLED_READS = 29


@dataclass
class RecordedCall:
    # Where the function's code was entered (see function_on_stack).
    code_file: str
    code_name: str
    service: str
    signing_name: str
    operation: str
    params: dict[str, Any]
    region: str
    environment: dict[str, str]
    source: str
    # Tags of each target at call time; None: the target did not exist.
    resource_tags: dict[str, dict[str, str] | None] = field(default_factory=dict)


def function_on_stack() -> tuple[str, str] | None:
    """Where the running function code was entered: the outermost frame of a function's code
    (`functions/<name>/<file>.py` or `<inline:Id>`) and the name of what runs there, usually
    its handler."""
    frame = sys._getframe(1)
    entry = None
    while frame:
        filename = frame.f_code.co_filename
        if filename.startswith(INLINE_PREFIX):
            entry = (filename, frame.f_code.co_name)
        elif Path(filename).is_relative_to(FUNCTIONS):
            entry = (Path(filename).relative_to(ROOT).as_posix(), frame.f_code.co_name)
        frame = frame.f_back
    return entry


def _plain(value: Any) -> Any:
    """JSON-safe: payload bytes and streams are not what IAM looks at."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return f"<{type(value).__name__}>"


class CallRecorder:
    def __init__(self, account: str, suites: tuple[str, ...] = ("",)):
        self.account = account
        # Test paths whose calls are kept (PYTEST_CURRENT_TEST); outside pytest, everything.
        self.suites = suites
        self.calls: list[RecordedCall] = []
        self._lock = threading.Lock()
        self._quiet = threading.local()
        self._readers: dict[tuple[str, str | None, str], Any] = {}
        self._original = None

    def install(self) -> None:
        original = botocore.session.Session.create_client
        recorder = self

        def create_client(session, *args, **kwargs):
            client = original(session, *args, **kwargs)
            # Whose call it is is decided per call: one client may serve several handlers.
            if not getattr(recorder._quiet, "on", False):
                client.meta.events.register("before-parameter-build", recorder._handler(client))
            return client

        self._original = original
        botocore.session.Session.create_client = create_client

    def uninstall(self) -> None:
        if self._original:
            botocore.session.Session.create_client = self._original
            self._original = None

    def _handler(self, client: Any):
        service = client.meta.service_model.service_name
        signing_name = client.meta.service_model.signing_name

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            source = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
            if source and not source.startswith(self.suites):
                return
            entry = function_on_stack()
            if entry is None:
                return
            call = RecordedCall(
                code_file=entry[0],
                code_name=entry[1],
                service=service,
                signing_name=signing_name,
                operation=model.name,
                params=_plain(params),
                region=client.meta.region_name,
                environment={k: v for k, v in os.environ.items() if k not in _SECRETS},
                source=source,
            )
            call.resource_tags = self._tags_at_call_time(call, client)
            with self._lock:
                self.calls.append(call)

        return record

    def _tags_at_call_time(self, call: RecordedCall, client: Any) -> dict[str, Any]:
        found = actions.action_of(call.service, call.signing_name, call.operation)
        if not found:
            return {}
        prefix, action = found
        where = actions.Location("aws", call.region, self.account)
        tags: dict[str, Any] = {}
        for target in actions.targets(prefix, action, call.params, where):
            reader = TAG_READERS.get(target.row.action.split(":")[0])
            if (
                reader
                and target.known
                and target.row.access_level in _MUTATING
                and target.row.supports("aws:ResourceTag/any")
            ):
                found_tags = self._read_tags(reader, target.arn, client)
                if found_tags != UNREAD:
                    tags[target.arn] = found_tags
        return tags

    def _read_tags(self, reader: tuple[str, str, str, str], arn: str, client: Any):
        service, method, member, key = reader
        endpoint = client.meta.endpoint_url
        cache_key = (service, endpoint, client.meta.region_name)
        if cache_key not in self._readers:
            self._quiet.on = True
            try:
                created = botocore.session.get_session().create_client(
                    service,
                    region_name=client.meta.region_name,
                    endpoint_url=endpoint,
                    config=Config(retries={"mode": "standard", "max_attempts": 1}),
                )
            finally:
                self._quiet.on = False
            created.meta.events.register("needs-retry", _retry_throttling)
            self._readers[cache_key] = created
        return self._read(self._readers[cache_key], method, {member: arn}, key)

    @staticmethod
    def _read(reader: Any, method: str, request: dict[str, str], key: str) -> Any:
        try:
            answer = getattr(reader, method)(**request)
        except ClientError as error:
            details = error.response.get("Error", {})
            message = details.get("Message", "").lower()
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            # moto answers ListTags of a missing SageMaker resource with a 500.
            if "not found" in message or "does not exist" in message or status >= 500:
                return None
            # Anything else (throttling past every retry included) leaves the tags unknown:
            # the check reports it, never guesses.
            return UNREAD
        listed = answer.get(key, [])
        if isinstance(listed, dict):
            return listed
        return {tag["Key"]: tag["Value"] for tag in listed}


def _retry_throttling(response: Any, attempts: int, **_: Any) -> float | None:
    """Tests that throttle SageMaker throttle the tag reader too: it waits and reads again,
    through botocore's retry, whose sleep is the one the tests' simulated clock replaces
    (tests/support/clocked_provider.py); anything else is not retried."""
    if response is None or attempts >= THROTTLED_READS:
        return None
    code = response[1].get("Error", {}).get("Code", "")
    return 0.05 * attempts if "Throttl" in code else None
