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
- `simulate-close-session`: the model closes the stateful session the request names.

An endpoint that hosts inference components answers only requests that name one of them
(`InferenceComponentName`); a component without copies refuses with SageMaker's "no capacity"
error, counted in CloudWatch as NoCapacityInvocationFailures. Stateful sessions
(`SessionId`) open with NEW_SESSION and last `session_seconds` of simulated time.
"""

import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from moto.core.utils import utcnow
from moto.s3.exceptions import MissingBucket
from moto.s3.models import S3Backend, s3_backends
from moto.sagemaker.models import FakeEndpoint, SageMakerModelBackend
from moto.utilities.utils import get_partition
from werkzeug.wrappers import Response

from localaws.sagemaker.components import SERVING_STATUSES as COMPONENT_SERVING_STATUSES
from localaws.sagemaker.components import Component, Components
from localaws.sagemaker.hosting import Placements
from localaws.sagemaker.metrics import INVOCATIONS, NO_CAPACITY, Metrics
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
CLOSE_SESSION_SWITCH = "simulate-close-session"
NEW_SESSION = "NEW_SESSION"
NEW_SESSION_HEADER = "X-Amzn-SageMaker-New-Session-Id"
CLOSED_SESSION_HEADER = "X-Amzn-SageMaker-Closed-Session-Id"
COMPONENT_NAME_REQUIRED = (
    "Inference Component Name header is required for endpoints to which you plan to deploy"
    " inference components. Please include Inference Component Name header or consider using"
    " SageMaker models."
)
NO_CAPACITY_MESSAGE = (
    "Inference Component has no capacity to process this request. ApplicationAutoScaling may be"
    " in-progress (if configured) or try to increase the capacity by invoking"
    " UpdateInferenceComponentRuntimeConfig API."
)
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


@dataclass
class _Session:
    """A stateful session, on the endpoint (and component) that opened it."""

    target: tuple[str, str | None]
    expires: float
    closed: bool = False


class Runtime:
    """The echo model behind every endpoint and inference component, the stateful sessions it
    keeps, and the asynchronous results it still owes S3."""

    def __init__(self, components: Components, placements: Placements, metrics: Metrics) -> None:
        self._components = components
        self._placements = placements
        self._metrics = metrics
        self._pending: list[_AsyncResult] = []
        self._sessions: dict[str, _Session] = {}

    def invoke(self, request: Request, session_seconds: float) -> Response:
        params, backend = request.params, request.backend
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return payload_too_large()
        endpoint = _serving_endpoint(backend, params["EndpointName"])
        component = self._invoked_component(request, endpoint)
        if component is None:
            variant = _invoked_variant(endpoint, params.get("TargetVariant"))
        else:
            variant = component.variant_name
        custom_attributes = params.get("CustomAttributes", "")
        _check_model_answers(backend, endpoint.endpoint_name, custom_attributes)
        target = (endpoint.arn, component.name if component else None)
        headers = {"x-Amzn-Invoked-Production-Variant": variant}
        headers.update(self._session_headers(request, target, session_seconds))
        if "CustomAttributes" in params:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = custom_attributes
        if component is not None:
            self._metrics.record(backend, INVOCATIONS, component.name, request.now)
        return Response(request.body, content_type=_response_content_type(params), headers=headers)

    def _invoked_component(self, request: Request, endpoint: FakeEndpoint) -> Component | None:
        """The component a request names, which must be on the endpoint and have copies.

        Assumption: the wording when the component is missing or not yet serving."""
        name = request.params.get("InferenceComponentName")
        if name is None:
            if self._placements.hosts_components(endpoint):
                raise runtime_validation(COMPONENT_NAME_REQUIRED)
            return None
        component = self._components.find(request.backend, name)
        if component is None or component.endpoint_name != endpoint.endpoint_name:
            raise runtime_validation(
                f"Inference component {name} not found for endpoint {endpoint.endpoint_name}."
            )
        if component.status not in COMPONENT_SERVING_STATUSES:
            raise runtime_validation(f"Inference component {name} is not in service.")
        if component.current_copies == 0:
            self._metrics.record(request.backend, NO_CAPACITY, name, request.now)
            raise runtime_validation(NO_CAPACITY_MESSAGE)
        return component

    def _session_headers(
        self, request: Request, target: tuple[str, str | None], seconds: float
    ) -> dict[str, str]:
        """Open, check or close the stateful session the request names.

        Assumption: a session lives `seconds` (the model sets it in SageMaker), and an unknown,
        expired or closed session, or one opened on another endpoint or component, is refused
        with the simulator's wording."""
        session_id = request.params.get("SessionId")
        if session_id is None:
            return {}
        if session_id == NEW_SESSION:
            new_id = uuid.uuid4().hex
            self._sessions[new_id] = _Session(target, request.now + seconds)
            expires = (utcnow() + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return {NEW_SESSION_HEADER: f"{new_id}; Expires={expires}"}
        session = self._sessions.get(session_id)
        if session is None or session.closed or session.target != target:
            raise runtime_validation(f"Session {session_id} does not exist or was closed.")
        if request.now >= session.expires:
            raise runtime_validation(f"Session {session_id} has expired.")
        if CLOSE_SESSION_SWITCH in request.params.get("CustomAttributes", ""):
            session.closed = True
            return {CLOSED_SESSION_HEADER: session_id}
        return {}

    def invoke_async(self, request: Request, due: float) -> Response:
        """Accepts the invocation; its result reaches S3 once the clock reaches `due`.

        InvokeEndpointAsync names no inference component, and an endpoint that hosts components
        has no AsyncInferenceConfig (CreateEndpointConfig refuses the combination), so such an
        endpoint refuses it as any real-time endpoint does."""
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
        self._sessions.clear()


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
