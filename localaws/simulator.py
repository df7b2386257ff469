"""SageMaker behaviour that moto leaves out, layered over moto's WSGI app.

moto answers SageMaker from an in-process backend in which endpoints are InService at once,
names can be created twice and UpdateEndpoint does not exist. `SageMakerSimulator` intercepts
SageMaker's JSON 1.1 requests, enforces SageMaker's rules and drives each endpoint through its
documented status timeline by editing the endpoint moto stores, so that moto's own
DescribeEndpoint and ListEndpoints keep answering with the simulated state.
"""

import io
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from moto.backends import get_backend
from moto.core.utils import utcnow
from moto.iam.models import get_account_id_from
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, Model, SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Response

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "SageMaker."
MOTO_RESET_PATH = "/moto-api/reset"
# Statuses in which SageMaker refuses DeleteEndpoint; UpdateEndpoint needs InService.
IN_PROGRESS_STATUSES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
HEALTH_CHECK_FAILURE = (
    "The primary container for production variant {variant} did not pass the ping health "
    "check. Please check CloudWatch logs for this endpoint."
)
_DEFAULT_REGION = "us-east-1"
_CREDENTIAL = re.compile(r"Credential=(?P<access_key>[^/,\s]+)/[^/]+/(?P<region>[^/]+)/")


@dataclass
class SimulatorSettings:
    """Knobs a test may turn at any time; each endpoint operation reads them when it starts."""

    create_seconds: float = 2.0
    update_seconds: float = 2.0
    delete_seconds: float = 1.0
    failing_image_marker: str = "fail"
    throttle: dict[str, float] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class Call:
    """One SageMaker request that got past throttling; `at` is a reading of the settings' clock."""

    operation: str
    params: dict[str, Any]
    at: float


class _ClientError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def response(self) -> Response:
        return _json_response({"__type": self.code, "message": self.message}, status=400)


def _validation(message: str) -> _ClientError:
    return _ClientError("ValidationException", message)


@dataclass
class _Transition:
    """A status change of one endpoint that completes once the clock reaches `due`."""

    endpoint: FakeEndpoint
    due: float
    complete: Callable[[], object]


@dataclass
class _TokenBucket:
    tokens: float
    updated: float

    def take(self, rate: float, now: float) -> bool:
        self.tokens = min(max(1.0, rate), self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass(frozen=True)
class _Request:
    environ: WSGIEnvironment
    params: dict[str, Any]
    backend: SageMakerModelBackend
    now: float


class SageMakerSimulator:
    """WSGI middleware that gives moto's SageMaker the behaviour of the real service.

    Requests without an `X-Amz-Target: SageMaker.*` header go to moto untouched. Time moves
    lazily: pending status changes complete when the next SageMaker request arrives, so no
    background thread is needed. A POST to moto's `/moto-api/reset` also resets the simulator.
    """

    def __init__(self, app: WSGIApplication, settings: SimulatorSettings | None = None) -> None:
        self.app = app
        self.settings = settings or SimulatorSettings()
        self.calls: list[Call] = []
        self.misuse: list[str] = []
        self.throttled: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._transitions: dict[str, _Transition] = {}
        self._buckets: dict[str, _TokenBucket] = {}
        self._handlers: dict[str, Callable[[_Request], Response]] = {
            "CreateModel": self._create_model,
            "CreateEndpointConfig": self._create_endpoint_config,
            "CreateEndpoint": self._create_endpoint,
            "DescribeEndpoint": self._describe_endpoint,
            "UpdateEndpoint": self._update_endpoint,
            "DeleteEndpoint": self._delete_endpoint,
            "DeleteEndpointConfig": self._delete_endpoint_config,
            "DeleteModel": self._delete_model,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            response = self._handle(environ, target.removeprefix(TARGET_PREFIX))
            return response(environ, start_response)
        if _is_moto_reset(environ):
            self.reset()
        return self.app(environ, start_response)

    def operations(self) -> list[str]:
        """Names of the SageMaker operations received so far, oldest first."""
        with self._lock:
            return [call.operation for call in self.calls]

    def calls_to(self, operation: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.operation == operation]

    def reset(self) -> None:
        """Forget pending status changes, throttling buckets, calls, misuse and throttle counts."""
        with self._lock:
            self._transitions.clear()
            self._buckets.clear()
            self.calls.clear()
            self.misuse.clear()
            self.throttled.clear()

    def _handle(self, environ: WSGIEnvironment, operation: str) -> Response:
        params = _read_json_body(environ)
        with self._lock:
            now = self.settings.clock()
            if not self._admit(operation, now):
                self.throttled[operation] += 1
                return _ClientError("ThrottlingException", "Rate exceeded").response()
            self.calls.append(Call(operation, params, now))
            self._advance(now)
            handler = self._handlers.get(operation, self._forward)
            try:
                return handler(_Request(environ, params, _backend_for(environ), now))
            except _ClientError as error:
                return error.response()

    def _admit(self, operation: str, now: float) -> bool:
        rate = self.settings.throttle.get(operation)
        if rate is None:
            return True
        bucket = self._buckets.setdefault(operation, _TokenBucket(max(1.0, rate), now))
        return bucket.take(rate, now)

    def _advance(self, now: float) -> None:
        for arn, transition in list(self._transitions.items()):
            if transition.due <= now:
                del self._transitions[arn]
                # The change happened at `due`, not when somebody first looked.
                elapsed = timedelta(seconds=now - transition.due)
                transition.endpoint.last_modified_time = utcnow() - elapsed
                transition.complete()

    def _begin(
        self, endpoint: FakeEndpoint, status: str, due: float, complete: Callable[[], object]
    ) -> None:
        endpoint.endpoint_status = status
        endpoint.last_modified_time = utcnow()
        self._transitions[endpoint.arn] = _Transition(endpoint, due, complete)

    def _forward(self, request: _Request) -> Response:
        body, status, headers = run_wsgi_app(self.app, request.environ, buffered=True)
        return Response(body, status=status, headers=headers)

    def _create_model(self, request: _Request) -> Response:
        name = request.params["ModelName"]
        if name in request.backend._models:
            raise _already_exists("model", _arn(request.backend, "model", name))
        return self._forward(request)

    def _create_endpoint_config(self, request: _Request) -> Response:
        name = request.params["EndpointConfigName"]
        if name in request.backend.endpoint_configs:
            arn = _arn(request.backend, "endpoint-config", name)
            raise _already_exists("endpoint configuration", arn)
        return self._forward(request)

    def _create_endpoint(self, request: _Request) -> Response:
        backend, name = request.backend, request.params["EndpointName"]
        if name in backend.endpoints:
            raise _already_exists("endpoint", _arn(backend, "endpoint", name))
        config = _endpoint_config(backend, request.params["EndpointConfigName"])
        response = self._forward(request)
        if response.status_code == 200:
            endpoint = backend.endpoints[name]
            failure = self._failure_reason(backend, config)
            complete = partial(_finish_create, endpoint, failure)
            due = request.now + self.settings.create_seconds
            self._begin(endpoint, "Creating", due, complete)
        return response

    def _describe_endpoint(self, request: _Request) -> Response:
        _endpoint(request.backend, request.params["EndpointName"])
        return self._forward(request)

    def _update_endpoint(self, request: _Request) -> Response:
        endpoint = _endpoint(request.backend, request.params["EndpointName"])
        _require_updatable(endpoint)
        config = _endpoint_config(request.backend, request.params["EndpointConfigName"])
        endpoint.pending_deployment_summary = {
            "EndpointConfigName": config.endpoint_config_name,
            "StartTime": utcnow(),
        }
        failure = self._failure_reason(request.backend, config)
        complete = partial(_finish_update, endpoint, config, failure)
        self._begin(endpoint, "Updating", request.now + self.settings.update_seconds, complete)
        return _json_response({"EndpointArn": endpoint.arn})

    def _delete_endpoint(self, request: _Request) -> Response:
        endpoint = _endpoint(request.backend, request.params["EndpointName"])
        if endpoint.endpoint_status in IN_PROGRESS_STATUSES:
            raise _validation(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if endpoint.endpoint_status == "Deleting":
            # A repeated delete must not push back the moment the first one completes.
            return _json_response({})
        complete = partial(request.backend.endpoints.pop, endpoint.endpoint_name, None)
        self._begin(endpoint, "Deleting", request.now + self.settings.delete_seconds, complete)
        return _json_response({})

    def _delete_endpoint_config(self, request: _Request) -> Response:
        name = request.params["EndpointConfigName"]
        for endpoint_name, config_name in _configs_in_use(request.backend):
            if config_name == name:
                self.misuse.append(
                    f'DeleteEndpointConfig "{name}" while endpoint "{endpoint_name}" uses it'
                )
        return self._forward(request)

    def _delete_model(self, request: _Request) -> Response:
        name = request.params["ModelName"]
        for endpoint_name, config_name in _configs_in_use(request.backend):
            if name in _model_names(request.backend, config_name):
                self.misuse.append(
                    f'DeleteModel "{name}" while endpoint "{endpoint_name}" uses it'
                    f' through endpoint configuration "{config_name}"'
                )
        return self._forward(request)

    def _failure_reason(
        self, backend: SageMakerModelBackend, config: FakeEndpointConfig
    ) -> str | None:
        for variant in config.production_variants:
            model = backend._models.get(variant["ModelName"])
            if model is None:
                return f'Could not find model "{_arn(backend, "model", variant["ModelName"])}".'
            if any(self.settings.failing_image_marker in image for image in _images(model)):
                return HEALTH_CHECK_FAILURE.format(variant=variant["VariantName"])
        return None


def _finish_create(endpoint: FakeEndpoint, failure: str | None) -> None:
    endpoint.endpoint_status = "Failed" if failure else "InService"
    endpoint.failure_reason = failure


def _finish_update(endpoint: FakeEndpoint, config: FakeEndpointConfig, failure: str | None) -> None:
    endpoint.pending_deployment_summary = None
    endpoint.endpoint_status = "InService"
    if failure:
        # Blue/green deployments roll back: the old fleet keeps serving the old config.
        endpoint.failure_reason = f"Failed to update endpoint: {failure}"
        return
    endpoint.failure_reason = None
    endpoint.endpoint_config_name = config.endpoint_config_name
    # The same derivation moto applies at creation, so Describe keeps one shape.
    endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
    endpoint.data_capture_config = config.data_capture_config


def _require_updatable(endpoint: FakeEndpoint) -> None:
    if endpoint.endpoint_status == "Failed":
        raise _validation(
            f'Cannot update endpoint "{endpoint.arn}" because it is in Failed status.'
            " A failed endpoint can only be deleted."
        )
    if endpoint.endpoint_status != "InService":
        raise _validation(f'Cannot update in-progress endpoint "{endpoint.arn}".')


def _configs_in_use(backend: SageMakerModelBackend) -> Iterator[tuple[str, str]]:
    """(endpoint name, endpoint configuration name) for every configuration a live endpoint
    runs on or is being updated to."""
    for endpoint in backend.endpoints.values():
        if endpoint.endpoint_status == "Deleting":
            continue
        yield endpoint.endpoint_name, endpoint.endpoint_config_name
        # moto's endpoints lack the attribute until the simulator first updates them.
        pending = getattr(endpoint, "pending_deployment_summary", None)
        if pending:
            yield endpoint.endpoint_name, pending["EndpointConfigName"]


def _model_names(backend: SageMakerModelBackend, config_name: str) -> set[str]:
    config = backend.endpoint_configs.get(config_name)
    variants = config.production_variants if config else []
    return {variant["ModelName"] for variant in variants}


def _images(model: Model) -> list[str]:
    containers = [model.primary_container, *model.containers]
    return [container.get("Image", "") for container in containers]


def _endpoint(backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise _validation(f'Could not find endpoint "{name}".')
    return endpoint


def _endpoint_config(backend: SageMakerModelBackend, name: str) -> FakeEndpointConfig:
    config = backend.endpoint_configs.get(name)
    if config is None:
        raise _validation(f'Could not find endpoint configuration "{name}".')
    return config


def _already_exists(label: str, arn: str) -> _ClientError:
    return _validation(f'Cannot create already existing {label} "{arn}".')


def _arn(backend: SageMakerModelBackend, resource_type: str, name: str) -> str:
    return arn_formatter(resource_type, name, backend.account_id, backend.region_name)


def _backend_for(environ: WSGIEnvironment) -> SageMakerModelBackend:
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    access_key, region = (match["access_key"], match["region"]) if match else ("", _DEFAULT_REGION)
    # Same precedence as moto's BaseResponse.get_current_account, so both pick one backend.
    account_id = (
        os.environ.get("MOTO_ACCOUNT_ID")
        or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        or get_account_id_from(access_key)
    )
    return get_backend("sagemaker")[account_id][region]


def _read_json_body(environ: WSGIEnvironment) -> dict[str, Any]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    # moto reads the body again after us.
    environ["wsgi.input"] = io.BytesIO(body)
    return json.loads(body or b"{}")


def _is_moto_reset(environ: WSGIEnvironment) -> bool:
    return environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == MOTO_RESET_PATH


def _json_response(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps(body),
        status=status,
        content_type=JSON_CONTENT_TYPE,
        headers={"x-amzn-RequestId": str(uuid.uuid4())},
    )
