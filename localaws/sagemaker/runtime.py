"""SageMaker Runtime's InvokeEndpoint and InvokeEndpointAsync, for the endpoints the simulator
knows (moto would answer for any name with canned text).

Every model is an echo model: the response body is the request body, byte for byte, in the
request's Accept type (else its ContentType). An asynchronous invocation writes that echo of its
S3 input to `<S3OutputPath>/<InferenceId>.out` in moto's S3 once its delay has passed. Tests make
the model or the service fail through the request's CustomAttributes; SageMaker forwards those
to the container verbatim, so they are the one channel a real caller has to its model. Anywhere
in them:

- `simulate-model-error`: the container answers 500. InvokeEndpoint fails with ModelError (HTTP
  424); an asynchronous invocation writes `<S3FailurePath>/<InferenceId>.error` instead.
- `simulate-model-not-ready`: InvokeEndpoint fails with ModelNotReadyException (HTTP 429).
- `simulate-service-unavailable`: either call fails with ServiceUnavailable (HTTP 503).
"""

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from moto.s3.exceptions import MissingBucket
from moto.s3.models import S3Backend, s3_backends
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from moto.utilities.utils import get_partition
from werkzeug.wrappers import Response

from localaws.sagemaker.wire import (
    MAX_PAYLOAD_BYTES,
    InvocationError,
    Request,
    payload_too_large,
    runtime_validation,
)

# Statuses in which an endpoint serves traffic: updates swap fleets behind a live endpoint.
SERVING_STATUSES = frozenset({"InService", "Updating", "SystemUpdating", "RollingBack"})
OUTPUT_LOCATION = "X-Amzn-SageMaker-OutputLocation"
FAILURE_LOCATION = "X-Amzn-SageMaker-FailureLocation"
# Response header -> (the OutputConfig field it points into, the suffix of the object's name)
_ASYNC_LOCATIONS = {
    OUTPUT_LOCATION: ("S3OutputPath", ".out"),
    FAILURE_LOCATION: ("S3FailurePath", ".error"),
}
_S3_URI = re.compile(r"s3://(?P<bucket>[^/]+)/(?P<key>.+)")
MODEL_ERROR_SWITCH = "simulate-model-error"
MODEL_NOT_READY_SWITCH = "simulate-model-not-ready"
SERVICE_UNAVAILABLE_SWITCH = "simulate-service-unavailable"
SIMULATED_MODEL_ERROR = "Simulated model error"
MODEL_ERROR = (
    'Received server error (500) from primary with message "{original}". See'
    " https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:"
    "group=/aws/sagemaker/Endpoints/{name} in account {account} for more information."
)


@dataclass(frozen=True)
class _AsyncResult:
    """An object an asynchronous invocation writes to S3 once the clock reaches `due`."""

    due: float
    s3: S3Backend
    bucket: str
    key: str
    body: bytes
    content_type: str

    def write(self) -> None:
        written = self.s3.put_object(self.bucket, self.key, self.body)
        written.set_metadata({"Content-Type": self.content_type})


class Runtime:
    """The echo model behind every endpoint, and the asynchronous results it still owes S3."""

    def __init__(self) -> None:
        self._pending: list[_AsyncResult] = []

    def invoke(self, request: Request) -> Response:
        params, backend = request.params, request.backend
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return payload_too_large()
        endpoint = _serving_endpoint(backend, params["EndpointName"])
        variant = _invoked_variant(endpoint, params.get("TargetVariant"))
        _check_model_answers(backend, endpoint.endpoint_name, params.get("CustomAttributes", ""))
        headers = {"x-Amzn-Invoked-Production-Variant": variant}
        if "CustomAttributes" in params:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = params["CustomAttributes"]
        return Response(request.body, content_type=_response_content_type(params), headers=headers)

    def invoke_async(self, request: Request, due: float) -> Response:
        """Accepts the invocation; its result reaches S3 once the clock reaches `due`."""
        params, backend = request.params, request.backend
        endpoint = _serving_endpoint(backend, params["EndpointName"])
        output = _async_output_config(endpoint)
        _check_service_available(params.get("CustomAttributes", ""))
        s3 = s3_backends[backend.account_id][get_partition(backend.region_name)]
        payload = _async_input(s3, params.get("InputLocation"))
        inference_id = params.get("InferenceId") or str(uuid.uuid4())
        locations = _async_locations(output, inference_id)
        if result := _async_result(params, payload, locations):
            location, body, content_type = result
            self._pending.append(_AsyncResult(due, s3, *_s3_location(location), body, content_type))
        return Response(
            json.dumps({"InferenceId": inference_id}),
            status=202,
            content_type="application/json",
            headers=locations,
        )

    def deliver(self, now: float) -> list[str]:
        """Writes the results due by `now`; returns the misuse of those S3 could not take."""
        due = [result for result in self._pending if result.due <= now]
        self._pending = [result for result in self._pending if result.due > now]
        misuse = []
        for result in due:
            try:
                result.write()
            except MissingBucket:
                # SageMaker cannot deliver the result either; the caller only sees it missing.
                misuse.append(f"InvokeEndpointAsync result for missing bucket {result.bucket}")
        return misuse

    def clear(self) -> None:
        self._pending.clear()


def _serving_endpoint(backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise runtime_validation(f"Endpoint {name} of account {backend.account_id} not found.")
    if endpoint.endpoint_status not in SERVING_STATUSES:
        raise runtime_validation(f"Endpoint {name} is not in service.")
    return endpoint


def _invoked_variant(endpoint: FakeEndpoint, target: str | None) -> str:
    summaries = endpoint.production_variants
    if target is None:
        # SageMaker splits traffic at random by weight; the heaviest variant, first among equals,
        # keeps answers deterministic.
        return max(summaries, key=lambda summary: summary.get("CurrentWeight", 1.0))["VariantName"]
    if target not in [summary["VariantName"] for summary in summaries]:
        raise runtime_validation(
            f"Variant {target} not found for endpoint {endpoint.endpoint_name}."
        )
    return target


def _check_service_available(custom_attributes: str) -> None:
    if SERVICE_UNAVAILABLE_SWITCH in custom_attributes:
        raise InvocationError("ServiceUnavailable", "Service Unavailable", 503)


def _check_model_answers(backend: SageMakerModelBackend, name: str, custom_attributes: str) -> None:
    _check_service_available(custom_attributes)
    if MODEL_NOT_READY_SWITCH in custom_attributes:
        raise InvocationError(
            "ModelNotReadyException",
            f"Model for endpoint {name} is not ready yet. Wait and try your request again.",
            429,
        )
    if MODEL_ERROR_SWITCH in custom_attributes:
        raise _model_error(backend, name)


def _model_error(backend: SageMakerModelBackend, name: str) -> InvocationError:
    region, account = backend.region_name, backend.account_id
    message = MODEL_ERROR.format(
        original=SIMULATED_MODEL_ERROR, region=region, name=name, account=account
    )
    return InvocationError(
        "ModelError",
        message,
        424,
        OriginalStatusCode=500,
        OriginalMessage=SIMULATED_MODEL_ERROR,
        LogStreamArn=f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{name}",
    )


def _response_content_type(params: dict[str, Any]) -> str:
    return params.get("Accept") or params.get("ContentType") or "application/octet-stream"


def _async_output_config(endpoint: FakeEndpoint) -> dict[str, str]:
    config = endpoint.async_inference_config
    if not config:
        raise runtime_validation(
            f"Endpoint {endpoint.endpoint_name} is not an asynchronous inference endpoint."
        )
    return config["OutputConfig"]


def _async_input(s3: S3Backend, location: str | None) -> bytes:
    if location is None:
        raise runtime_validation("InputLocation is required: the simulator takes no inline Body.")
    try:
        key = s3.get_object(*_s3_location(location))
    except MissingBucket:
        key = None
    if key is None:
        raise runtime_validation(f"Could not read the input location {location}.")
    return key.value


def _async_locations(output: dict[str, str], inference_id: str) -> dict[str, str]:
    """InvokeEndpointAsync's location headers, for the paths the output configuration has."""
    return {
        header: _s3_join(output[path], f"{inference_id}{suffix}")
        for header, (path, suffix) in _ASYNC_LOCATIONS.items()
        if path in output
    }


def _async_result(
    params: dict[str, Any], payload: bytes, locations: dict[str, str]
) -> tuple[str, bytes, str] | None:
    """(location, body, content type) of what the invocation leaves in S3, if anything."""
    if MODEL_ERROR_SWITCH in params.get("CustomAttributes", ""):
        location = locations.get(FAILURE_LOCATION)
        return (location, SIMULATED_MODEL_ERROR.encode(), "text/plain") if location else None
    location = locations.get(OUTPUT_LOCATION)
    return (location, payload, _response_content_type(params)) if location else None


def _s3_location(uri: str) -> tuple[str, str]:
    match = _S3_URI.fullmatch(uri)
    if match is None:
        # SageMaker also takes https:// URIs of S3 objects; the simulator knows only this form.
        raise runtime_validation(f"The simulator reaches S3 only through s3:// URIs, not {uri}.")
    return match["bucket"], match["key"]


def _s3_join(path: str, name: str) -> str:
    return f"{path.rstrip('/')}/{name}"
