"""SageMaker's two protocols as the simulator meets them on the wire.

SageMaker speaks JSON 1.1 (the operation in X-Amz-Target, parameters in a JSON body, errors as
`__type` and `message`); SageMaker Runtime speaks REST (the operation in the path, parameters in
headers, the payload as the body, errors as an X-Amzn-ErrorType header with the status the
error's shape gives). This module turns requests into (operation, parameters) and errors into
responses, and finds the moto backend a request is signed for.
"""

import io
import json
import os
import re
import uuid
from dataclasses import dataclass
from typing import Any
from wsgiref.types import WSGIEnvironment

from botocore.loaders import create_loader
from botocore.model import ServiceModel
from moto.backends import get_backend
from moto.iam.models import get_account_id_from
from moto.sagemaker.models import SageMakerModelBackend
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "SageMaker."
MOTO_RESET_PATH = "/moto-api/reset"
_DEFAULT_REGION = "us-east-1"
_CREDENTIAL = re.compile(
    r"Credential=(?P<access_key>[^/,\s]+)/[^/]+/(?P<region>[^/]+)/(?P<service>[^/]+)/"
)
_RUNTIME_MODEL = ServiceModel(
    create_loader().load_service_model("sagemaker-runtime", "service-2"), "sagemaker-runtime"
)
# SageMaker Runtime's REST calls carry no X-Amz-Target; botocore signs them for "sagemaker".
_RUNTIME_PATH = re.compile(r"/endpoints/(?P<name>[^/]+)/(?P<action>invocations|async-invocations)")
_RUNTIME_OPERATIONS = {"invocations": "InvokeEndpoint", "async-invocations": "InvokeEndpointAsync"}
# The limit botocore's model gives InvokeEndpoint's body: 6 MB.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class Request:
    """One SageMaker or SageMaker Runtime request, parsed, with the backend it is signed for and
    the settings' clock reading when it arrived."""

    environ: WSGIEnvironment
    params: dict[str, Any]
    backend: SageMakerModelBackend
    now: float
    body: bytes = b""


class ClientError(Exception):
    """An error as SageMaker's JSON 1.1 protocol sends it."""

    def __init__(self, code: str, message: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def response(self) -> Response:
        return json_response({"__type": self.code, "message": self.message}, status=400)


class InvocationError(ClientError):
    """An error as SageMaker Runtime's REST protocol sends it: the code in a header, the status
    the code's shape gives, and the shape's extra fields in the body."""

    def __init__(self, code: str, message: str | None, status: int, **fields: Any) -> None:
        super().__init__(code, message)
        self.status = status
        self.fields = fields

    def response(self) -> Response:
        return Response(
            json.dumps({"message": self.message, **self.fields}),
            status=self.status,
            content_type="application/json",
            headers={"x-amzn-RequestId": str(uuid.uuid4()), "x-amzn-ErrorType": self.code},
        )


def validation(message: str) -> ClientError:
    return ClientError("ValidationException", message)


def runtime_validation(message: str) -> InvocationError:
    return InvocationError("ValidationError", message, 400)


def throttling(operation: str) -> ClientError:
    if operation in _RUNTIME_OPERATIONS.values():
        # SageMaker Runtime sends no message with it: botocore reports None.
        return InvocationError("ThrottlingException", None, 400)
    return ClientError("ThrottlingException", "Rate exceeded")


def payload_too_large() -> Response:
    # SageMaker's HTTP front end refuses it before the service proper sees it: no error code,
    # no JSON, so botocore reports the status as the code.
    return Response(
        f"HTTP content length exceeded {MAX_PAYLOAD_BYTES} bytes.",
        status=413,
        content_type="text/plain",
    )


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        content_type=JSON_CONTENT_TYPE,
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )


def sagemaker_operation(environ: WSGIEnvironment) -> str | None:
    """The SageMaker operation a JSON 1.1 request names; None for other requests."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else None


def read_json_body(environ: WSGIEnvironment) -> dict[str, Any]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    # moto reads the body again after us.
    environ["wsgi.input"] = io.BytesIO(body)
    return json.loads(body or b"{}")


def runtime_invocation(environ: WSGIEnvironment) -> tuple[str, dict[str, Any], bytes] | None:
    """(operation, parameters, body) of a SageMaker Runtime call; None for other requests."""
    path = _RUNTIME_PATH.fullmatch(environ.get("PATH_INFO", ""))
    credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    signed_for_sagemaker = credential is not None and credential["service"] == "sagemaker"
    if environ.get("REQUEST_METHOD") != "POST" or path is None or not signed_for_sagemaker:
        return None
    operation = _RUNTIME_OPERATIONS[path["action"]]
    request = WsgiRequest(environ)
    # Bytes as sent: a model's payload is often no text at all.
    body = request.get_data()
    params = {
        "EndpointName": path["name"],
        **_header_params(operation, request.headers),
        "BodyLength": len(body),
    }
    return operation, params, body


def _header_params(operation: str, headers: Headers) -> dict[str, Any]:
    """The operation's input members that came as headers, by botocore's name for them."""
    params: dict[str, Any] = {}
    members = _RUNTIME_MODEL.operation_model(operation).input_shape.members
    for name, member in members.items():
        header = member.serialization.get("name")
        if member.serialization.get("location") == "header" and header in headers:
            value = headers[header]
            params[name] = int(value) if member.type_name == "integer" else value
    return params


def is_moto_reset(environ: WSGIEnvironment) -> bool:
    return environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == MOTO_RESET_PATH


def backend_for(environ: WSGIEnvironment) -> SageMakerModelBackend:
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    access_key, region = (match["access_key"], match["region"]) if match else ("", _DEFAULT_REGION)
    # Same precedence as moto's BaseResponse.get_current_account, so both pick one backend.
    account_id = (
        os.environ.get("MOTO_ACCOUNT_ID")
        or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        or get_account_id_from(access_key)
    )
    return get_backend("sagemaker")[account_id][region]
