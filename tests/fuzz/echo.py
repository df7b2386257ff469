"""The invoker's handler against an in-memory SageMaker Runtime and S3.

The clients are real botocore clients, so every call is checked and serialised by botocore's
model; their requests are answered before they would leave the machine (the `before-call`
hook botocore's Stubber uses). The runtime echoes the payload back as the model would, and
refuses a header that http.client would refuse to send, as the real transport does.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from endpoint_common.aws import botocore_config
from endpoint_invoker.invoker import Invoker
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import InvokerSettings
from localaws.functions import LambdaContext, load_function

ENDPOINT = "churn"
BUCKET = "invoker-payloads"
# http.client's own test before it sends a header ("Invalid header value").
ILLEGAL_HEADER_VALUE = re.compile(r"\n(?![ \t])|\r(?![ \t\n])")


# What SageMaker answers (ValidationError, HTTP 400) for an inference component at zero copies.
NO_CAPACITY = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be "
    "in-progress (if configured) or try to increase the capacity by invoking "
    "UpdateInferenceComponentRuntimeConfig API."
)
# A model's own request to end its session (stateful sessions: the model decides what closes).
CLOSE_SESSION = b'{"requestType": "CLOSE"}'
SESSION_EXPIRES = "Expires=2026-12-05T14:00:00Z"


@dataclass
class EchoAws:
    """SageMaker Runtime echoes; S3 keeps objects in a dict. `model_answer` overrides what the
    model returns (content type, bytes). Inference components in `zero_copies` have no capacity.
    A SessionId of NEW_SESSION opens session `session-<n>`; a CLOSE_SESSION body in a session
    closes it. S3 answers GetObject of a missing key with `missing_status` (404, or 403 as for
    a role S3 does not consider allowed to list), and ListObjectsV2 with 403 unless `may_list`,
    and GetObject of any key with 403 unless `may_read`."""

    model_answer: tuple[str, bytes] | None = None
    zero_copies: frozenset[str] = frozenset()
    missing_status: int = 404
    may_list: bool = True
    may_read: bool = True
    objects: dict[str, bytes] = field(default_factory=dict)
    runtime_calls: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Takes over the clients (built once: building them is most of a test's time)."""
        self.runtime, self.s3 = _clients()
        for client, answer in ((self.runtime, self._runtime), (self.s3, self._s3)):
            service = client.meta.service_model.service_id.hyphenize()
            events = client.meta.events
            events.register(f"before-parameter-build.{service}", _keep_params, unique_id="keep")
            events.unregister(f"before-call.{service}", unique_id="echo")
            events.register(f"before-call.{service}", answer, unique_id="echo")

    def _runtime(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any):
        for name, value in params["headers"].items():
            if ILLEGAL_HEADER_VALUE.search(str(value)):
                raise ValueError(f"Invalid header value {value!r} for {name}")
        call = context["api_params"]
        self.runtime_calls.append(call)
        if model.name == "InvokeEndpointAsync":
            inference = str(uuid.uuid4())
            return _ok(
                {
                    "InferenceId": inference,
                    "OutputLocation": f"s3://{BUCKET}/async-output/{inference}.out",
                    "FailureLocation": f"s3://{BUCKET}/async-failure/{inference}-error.out",
                }
            )
        if call.get("InferenceComponentName") in self.zero_copies:
            return _error(400, "ValidationError", NO_CAPACITY)
        content_type, body = self.model_answer or (
            call.get("Accept") or "application/octet-stream",
            params["body"],
        )
        return _ok(
            {
                "Body": StreamingBody(io.BytesIO(body), len(body)),
                "ContentType": content_type,
                "InvokedProductionVariant": call.get("TargetVariant") or "AllTraffic",
                **self._session(call.get("SessionId"), params["body"]),
            }
        )

    def _session(self, session: str | None, body: bytes) -> dict[str, str]:
        if session == "NEW_SESSION":
            opened = f"session-{len(self.runtime_calls)}"
            return {"NewSessionId": f"{opened}; {SESSION_EXPIRES}"}
        if session and body == CLOSE_SESSION:
            return {"ClosedSessionId": session}
        return {}

    def _s3(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any):
        call = context["api_params"]
        if model.name == "PutObject":
            body = call["Body"]
            self.objects[call["Key"]] = body if isinstance(body, bytes) else body.read()
            return _ok({})
        if model.name == "GetObject":
            if not self.may_read:
                return _DENIED
            found = self.objects.get(call["Key"])
            if found is None:
                return _error(404, "NoSuchKey") if self.missing_status == 404 else _DENIED
            return _ok({"Body": StreamingBody(io.BytesIO(found), len(found))})
        if model.name == "ListObjectsV2":
            if not self.may_list:
                return _DENIED
            keys = sorted(key for key in self.objects if key.startswith(call["Prefix"]))
            return _ok({"Contents": [{"Key": key} for key in keys[: call["MaxKeys"]]]})
        raise AssertionError(f"the invoker has no business calling S3 {model.name}")


@cache
def _clients() -> tuple[Any, Any]:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    config = botocore_config(5, max_attempts=1)
    return session.client("sagemaker-runtime", config=config), session.client("s3", config=config)


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context["api_params"] = dict(params)


def _ok(parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    parsed["ResponseMetadata"] = {"HTTPStatusCode": 200, "HTTPHeaders": {}}
    return AWSResponse("https://local", 200, {}, None), parsed


def _error(status: int, code: str, message: str = "") -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {
        "Error": {"Code": code, "Message": message or code},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
    }
    return AWSResponse("https://local", status, {}, None), parsed


_DENIED = _error(403, "AccessDenied")


def echo_invoker(aws: EchoAws, **settings: Any) -> ModuleType:
    """The invoker's app module, answering through `aws` with these settings."""
    app = _app()
    configured = InvokerSettings(**({"endpoint_name": ENDPOINT, "async_bucket": BUCKET} | settings))
    gateway = RuntimeGateway(aws.runtime, lambda: aws.s3, configured)
    app.invoker = lambda: Invoker(gateway, configured.inference_component)
    return app


@cache
def _app() -> ModuleType:
    return load_function("invoker")


def invoke(app: ModuleType, event: Any) -> dict[str, Any]:
    context = LambdaContext("invoker", "arn:aws:lambda:us-east-1:123456789012:function:invoker", 60)
    return app.handler(event, context)
