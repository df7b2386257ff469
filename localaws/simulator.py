"""SageMaker behaviour that moto leaves out, layered over moto's WSGI app.

moto answers SageMaker from an in-process backend in which endpoints are InService at once,
names can be created twice and UpdateEndpoint does not exist. `SageMakerSimulator` intercepts
SageMaker's JSON 1.1 requests, enforces SageMaker's rules and drives each endpoint through its
documented status timeline by editing the endpoint moto stores, so that moto's own
DescribeEndpoint and ListEndpoints keep answering with the simulated state. It reads moto's
Application Auto Scaling and CloudWatch backends in the same process, as SageMaker consults those
services: scalable targets pin a variant's instance type, and alarms roll updates back.

It also answers SageMaker Runtime's InvokeEndpoint and InvokeEndpointAsync for the endpoints it
knows, which moto would answer for any name with canned text. Every model is an echo model: the
response body is the request body, byte for byte, in the request's Accept type (else its
ContentType). An asynchronous invocation writes that echo of its S3 input to
`<S3OutputPath>/<InferenceId>.out` in moto's S3 once `async_seconds` have passed. Tests make the
model or the service fail through the request's CustomAttributes; SageMaker forwards those to the
container verbatim, so they are the one channel a real caller has to its model. Anywhere in them:

- `simulate-model-error`: the container answers 500. InvokeEndpoint fails with ModelError (HTTP
  424); an asynchronous invocation writes `<S3FailurePath>/<InferenceId>.error` instead.
- `simulate-model-not-ready`: InvokeEndpoint fails with ModelNotReadyException (HTTP 429).
- `simulate-service-unavailable`: either call fails with ServiceUnavailable (HTTP 503).
"""

import io
import json
import math
import os
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from botocore.loaders import create_loader
from botocore.model import ServiceModel

# Imported here, not on first use: the import takes about a second, which would otherwise land
# inside the first UpdateEndpoint and outlast a short simulated update.
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.backends import get_backend
from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
from moto.core.utils import utcnow
from moto.iam.models import get_account_id_from
from moto.s3.exceptions import MissingBucket
from moto.s3.models import S3Backend, s3_backends
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, Model, SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter
from moto.utilities.utils import get_partition
from werkzeug.datastructures import Headers
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Request, Response

from endpoint_provider.api_shapes import request_problems, service_model

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "SageMaker."
MOTO_RESET_PATH = "/moto-api/reset"
# Statuses in which SageMaker refuses DeleteEndpoint; UpdateEndpoint needs InService.
IN_PROGRESS_STATUSES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
HEALTH_CHECK_FAILURE = (
    "The primary container for production variant {variant} did not pass the ping health "
    "check. Please check CloudWatch logs for this endpoint."
)
ALARM_ROLLBACK = (
    "Rolled back the update because CloudWatch alarm(s) [{alarms}] went into ALARM state."
)
SCALABLE_VARIANTS = (
    'The variant(s) "[{variants}]" must be deregistered as scalable targets with AWS Application'
    " Auto Scaling before they can be removed or have their instance type updated."
)
# moto checks instance types against an old list; this one from it stands in for the real one.
_INSTANCE_TYPE_MOTO_KNOWS = "ml.m5.large"
# CreateEndpointConfig fields moto's backend ignores. The simulator stores them on moto's object
# under the attribute name that moto's response builder turns back into the field name.
_CONFIG_FIELDS_MOTO_DROPS = (
    "ShadowProductionVariants",
    "ExplainerConfig",
    "ExecutionRoleArn",
    "VpcConfig",
    "EnableNetworkIsolation",
    "MetricsConfig",
    "CrossRegionTrafficConfig",
)
# VariantPropertyType, also a field of DesiredWeightAndCapacity -> the (current, desired) fields
# of a variant summary that carry it.
_VARIANT_PROPERTY_FIELDS = {
    "DesiredInstanceCount": ("CurrentInstanceCount", "DesiredInstanceCount"),
    "DesiredWeight": ("CurrentWeight", "DesiredWeight"),
}
_RETAINABLE_PROPERTIES = frozenset({*_VARIANT_PROPERTY_FIELDS, "DataCaptureConfig"})
_DEFAULT_REGION = "us-east-1"
_CREDENTIAL = re.compile(
    r"Credential=(?P<access_key>[^/,\s]+)/[^/]+/(?P<region>[^/]+)/(?P<service>[^/]+)/"
)
_SAGEMAKER_OPERATIONS = frozenset(service_model("sagemaker").operation_names)
_RUNTIME_MODEL = ServiceModel(
    create_loader().load_service_model("sagemaker-runtime", "service-2"), "sagemaker-runtime"
)
# SageMaker Runtime's REST calls carry no X-Amz-Target; botocore signs them for "sagemaker".
_RUNTIME_PATH = re.compile(r"/endpoints/(?P<name>[^/]+)/(?P<action>invocations|async-invocations)")
_RUNTIME_OPERATIONS = {"invocations": "InvokeEndpoint", "async-invocations": "InvokeEndpointAsync"}
# The limit botocore's model gives InvokeEndpoint's body: 6 MB.
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
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


@dataclass
class SimulatorSettings:
    """Knobs a test may turn at any time; each endpoint operation reads them when it starts."""

    create_seconds: float = 2.0
    update_seconds: float = 2.0
    delete_seconds: float = 1.0
    # How long an asynchronous invocation takes before its result is in S3.
    async_seconds: float = 0.5
    # Multiplies every simulated duration, policy waits included.
    time_scale: float = 1.0
    # Multiplies a deployment policy's WaitIntervalInSeconds and TerminationWaitInSeconds; at 0
    # they are ignored, so that tests need not wait for bake times meant for production.
    policy_wait_scale: float = 0.0
    failing_image_marker: str = "fail"
    throttle: dict[str, float] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class Call:
    """One SageMaker or SageMaker Runtime request that got past throttling; `at` is a reading of
    the settings' clock. Invocations log their headers by botocore's member names, and the
    length of the body as BodyLength."""

    operation: str
    params: dict[str, Any]
    at: float


class _ClientError(Exception):
    def __init__(self, code: str, message: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def response(self) -> Response:
        return _json_response({"__type": self.code, "message": self.message}, status=400)


class _InvocationError(_ClientError):
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


def _validation(message: str) -> _ClientError:
    return _ClientError("ValidationException", message)


def _runtime_validation(message: str) -> _InvocationError:
    return _InvocationError("ValidationError", message, 400)


def _throttling(operation: str) -> _ClientError:
    if operation in _RUNTIME_OPERATIONS.values():
        # SageMaker Runtime sends no message with it: botocore reports None.
        return _InvocationError("ThrottlingException", None, 400)
    return _ClientError("ThrottlingException", "Rate exceeded")


@dataclass
class _Transition:
    """A status change of one endpoint that completes once the clock reaches `due`, unless one
    of the alarms that `firing_alarms` names goes off before."""

    endpoint: FakeEndpoint
    due: float
    complete: Callable[[], object]
    firing_alarms: Callable[[], list[str]] = list


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
    body: bytes = b""


class SageMakerSimulator:
    """WSGI middleware that gives moto's SageMaker the behaviour of the real service.

    Requests other than SageMaker's and SageMaker Runtime's go to moto untouched. Time moves
    lazily: pending status changes complete when the next SageMaker request arrives, and
    asynchronous invocations when any request arrives, so no background thread is needed. A POST
    to moto's `/moto-api/reset` also resets the simulator.
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
        self._async_results: list[_AsyncResult] = []
        self._handlers: dict[str, Callable[[_Request], Response]] = {
            "CreateModel": self._create_model,
            "CreateEndpointConfig": self._create_endpoint_config,
            "DescribeEndpointConfig": self._describe_endpoint_config,
            "CreateEndpoint": self._create_endpoint,
            "DescribeEndpoint": self._describe_endpoint,
            "UpdateEndpoint": self._update_endpoint,
            "UpdateEndpointWeightsAndCapacities": self._update_weights_and_capacities,
            "DeleteEndpoint": self._delete_endpoint,
            "DeleteEndpointConfig": self._delete_endpoint_config,
            "DeleteModel": self._delete_model,
            "InvokeEndpoint": self._invoke_endpoint,
            "InvokeEndpointAsync": self._invoke_endpoint_async,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # Before moto sees the request, which may be the S3 read of an asynchronous result.
        self._write_due_async_results()
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            operation = target.removeprefix(TARGET_PREFIX)
            response = self._handle(environ, operation, _read_json_body(environ))
            return response(environ, start_response)
        if invocation := _runtime_invocation(environ):
            response = self._handle(environ, *invocation)
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
        """Forget pending status changes and asynchronous results, throttling buckets, calls,
        misuse and throttle counts."""
        with self._lock:
            self._transitions.clear()
            self._async_results.clear()
            self._buckets.clear()
            self.calls.clear()
            self.misuse.clear()
            self.throttled.clear()

    def _handle(
        self, environ: WSGIEnvironment, operation: str, params: dict[str, Any], body: bytes = b""
    ) -> Response:
        with self._lock:
            now = self.settings.clock()
            if not self._admit(operation, now):
                self.throttled[operation] += 1
                return _throttling(operation).response()
            self.calls.append(Call(operation, params, now))
            self._advance(now)
            handler = self._handlers.get(operation, self._forward)
            try:
                _check_request(operation, params)
                return handler(_Request(environ, params, _backend_for(environ), now, body))
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
            elif alarms := transition.firing_alarms():
                self._roll_back(transition.endpoint, alarms, now)

    def _write_due_async_results(self) -> None:
        with self._lock:
            now = self.settings.clock()
            due = [result for result in self._async_results if result.due <= now]
            self._async_results = [result for result in self._async_results if result.due > now]
            for result in due:
                try:
                    result.write()
                except MissingBucket:
                    # SageMaker cannot deliver the result either; the caller only sees it missing.
                    self.misuse.append(
                        f"InvokeEndpointAsync result for missing bucket {result.bucket}"
                    )

    def _begin(
        self,
        endpoint: FakeEndpoint,
        status: str,
        due: float,
        complete: Callable[[], object],
        firing_alarms: Callable[[], list[str]] = list,
    ) -> None:
        endpoint.endpoint_status = status
        endpoint.last_modified_time = utcnow()
        self._transitions[endpoint.arn] = _Transition(endpoint, due, complete, firing_alarms)

    def _roll_back(self, endpoint: FakeEndpoint, alarms: list[str], now: float) -> None:
        reason = ALARM_ROLLBACK.format(alarms=", ".join(alarms))
        due = now + self._seconds(self.settings.update_seconds)
        self._begin(endpoint, "RollingBack", due, partial(_finish_rollback, endpoint, reason))

    def _seconds(self, seconds: float) -> float:
        return seconds * self.settings.time_scale

    def _forward(self, request: _Request) -> Response:
        body, status, headers = run_wsgi_app(self.app, request.environ, buffered=True)
        return Response(body, status=status, headers=headers)

    def _forward_with(self, request: _Request, params: dict[str, Any]) -> Response:
        body = json.dumps(params).encode()
        environ = {**request.environ, "wsgi.input": io.BytesIO(body)}
        environ["CONTENT_LENGTH"] = str(len(body))
        return self._forward(replace(request, environ=environ))

    def _create_model(self, request: _Request) -> Response:
        name = request.params["ModelName"]
        if name in request.backend._models:
            raise _already_exists("model", _arn(request.backend, "model", name))
        return self._forward(request)

    def _create_endpoint_config(self, request: _Request) -> Response:
        backend, params = request.backend, request.params
        name = params["EndpointConfigName"]
        if name in backend.endpoint_configs:
            raise _already_exists("endpoint configuration", _arn(backend, "endpoint-config", name))
        _check_variants(backend, params)
        variants = params["ProductionVariants"]
        response = self._forward_with(
            request, {**params, "ProductionVariants": [_known_to_moto(v) for v in variants]}
        )
        if response.status_code == 200:
            config = backend.endpoint_configs[name]
            config.production_variants = variants
            for field_name in _CONFIG_FIELDS_MOTO_DROPS:
                setattr(config, _attribute(field_name), params.get(field_name))
        return response

    def _describe_endpoint_config(self, request: _Request) -> Response:
        response = self._forward(request)
        if response.status_code != 200:
            return response
        body = json.loads(response.get_data())
        # moto stores {} for a DataCaptureConfig nobody gave; SageMaker leaves the field out.
        if body.get("DataCaptureConfig") == {}:
            del body["DataCaptureConfig"]
        return _json_response(body)

    def _create_endpoint(self, request: _Request) -> Response:
        backend, name = request.backend, request.params["EndpointName"]
        if name in backend.endpoints:
            raise _already_exists("endpoint", _arn(backend, "endpoint", name))
        config = _endpoint_config(backend, request.params["EndpointConfigName"])
        response = self._forward(request)
        if response.status_code == 200:
            endpoint = backend.endpoints[name]
            _deploy(endpoint, config)
            failure = self._failure_reason(backend, config)
            complete = partial(_finish_create, endpoint, failure)
            due = request.now + self._seconds(self.settings.create_seconds)
            self._begin(endpoint, "Creating", due, complete)
        return response

    def _describe_endpoint(self, request: _Request) -> Response:
        _endpoint(request.backend, request.params["EndpointName"])
        return self._forward(request)

    def _update_endpoint(self, request: _Request) -> Response:
        backend, params = request.backend, request.params
        endpoint = _endpoint(backend, params["EndpointName"])
        _require_updatable(endpoint)
        config = _endpoint_config(backend, params["EndpointConfigName"])
        _require_unscaled(backend, endpoint, config)
        endpoint.pending_deployment_summary = {
            "EndpointConfigName": config.endpoint_config_name,
            "StartTime": utcnow(),
        }
        failure = self._failure_reason(backend, config)
        complete = partial(_finish_update, endpoint, config, failure, _retained_properties(params))
        deployment = params.get("DeploymentConfig", {})
        due = request.now + self._update_seconds(deployment)
        self._begin(endpoint, "Updating", due, complete, _alarm_watch(backend, deployment))
        return _json_response({"EndpointArn": endpoint.arn})

    def _update_seconds(self, deployment: dict[str, Any]) -> float:
        steps, bake_seconds, termination_seconds = _deployment_plan(deployment)
        wait_scale = self.settings.policy_wait_scale
        step_seconds = self.settings.update_seconds + bake_seconds * wait_scale
        return self._seconds(steps * step_seconds + termination_seconds * wait_scale)

    def _update_weights_and_capacities(self, request: _Request) -> Response:
        endpoint = _endpoint(request.backend, request.params["EndpointName"])
        _require_updatable(endpoint)
        changes = request.params["DesiredWeightsAndCapacities"]
        summaries = _summaries_named(endpoint, [change["VariantName"] for change in changes])
        for change, summary in zip(changes, summaries, strict=True):
            summary.update({key: change[key] for key in _VARIANT_PROPERTY_FIELDS if key in change})
        due = request.now + self._seconds(self.settings.update_seconds)
        self._begin(endpoint, "Updating", due, partial(_finish_scaling, endpoint))
        return _json_response({"EndpointArn": endpoint.arn})

    def _delete_endpoint(self, request: _Request) -> Response:
        endpoint = _endpoint(request.backend, request.params["EndpointName"])
        if endpoint.endpoint_status in IN_PROGRESS_STATUSES:
            raise _validation(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if endpoint.endpoint_status == "Deleting":
            # A repeated delete must not push back the moment the first one completes.
            return _json_response({})
        complete = partial(request.backend.endpoints.pop, endpoint.endpoint_name, None)
        due = request.now + self._seconds(self.settings.delete_seconds)
        self._begin(endpoint, "Deleting", due, complete)
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

    def _invoke_endpoint(self, request: _Request) -> Response:
        params, backend = request.params, request.backend
        if len(request.body) > MAX_PAYLOAD_BYTES:
            return _payload_too_large()
        endpoint = _serving_endpoint(backend, params["EndpointName"])
        variant = _invoked_variant(endpoint, params.get("TargetVariant"))
        _check_model_answers(backend, endpoint.endpoint_name, params.get("CustomAttributes", ""))
        headers = {"x-Amzn-Invoked-Production-Variant": variant}
        if "CustomAttributes" in params:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = params["CustomAttributes"]
        return Response(request.body, content_type=_response_content_type(params), headers=headers)

    def _invoke_endpoint_async(self, request: _Request) -> Response:
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
            due = request.now + self._seconds(self.settings.async_seconds)
            written = _AsyncResult(due, s3, *_s3_location(location), body, content_type)
            self._async_results.append(written)
        return Response(
            json.dumps({"InferenceId": inference_id}),
            status=202,
            content_type="application/json",
            headers=locations,
        )

    def _failure_reason(
        self, backend: SageMakerModelBackend, config: FakeEndpointConfig
    ) -> str | None:
        for variant in _variants(config):
            model = backend._models.get(variant["ModelName"])
            if model is None:
                return f'Could not find model "{_arn(backend, "model", variant["ModelName"])}".'
            if any(self.settings.failing_image_marker in image for image in _images(model)):
                return HEALTH_CHECK_FAILURE.format(variant=variant["VariantName"])
        return None


def _finish_create(endpoint: FakeEndpoint, failure: str | None) -> None:
    endpoint.endpoint_status = "Failed" if failure else "InService"
    endpoint.failure_reason = failure


def _finish_update(
    endpoint: FakeEndpoint,
    config: FakeEndpointConfig,
    failure: str | None,
    retained: frozenset[str],
) -> None:
    if failure:
        # Blue/green deployments roll back: the old fleet keeps serving the old config.
        _finish_rollback(endpoint, f"Failed to update endpoint: {failure}")
        return
    endpoint.pending_deployment_summary = None
    endpoint.endpoint_status = "InService"
    endpoint.failure_reason = None
    _deploy(endpoint, config, retained)


def _finish_rollback(endpoint: FakeEndpoint, reason: str) -> None:
    endpoint.pending_deployment_summary = None
    endpoint.endpoint_status = "InService"
    endpoint.failure_reason = reason


def _finish_scaling(endpoint: FakeEndpoint) -> None:
    endpoint.endpoint_status = "InService"
    for summary in endpoint.production_variants:
        for current, desired in _VARIANT_PROPERTY_FIELDS.values():
            if desired in summary:
                summary[current] = summary[desired]


def _deploy(
    endpoint: FakeEndpoint, config: FakeEndpointConfig, retained: frozenset[str] = frozenset()
) -> None:
    """Make DescribeEndpoint show `config`, keeping the `retained` variant properties."""
    endpoint.endpoint_config_name = config.endpoint_config_name
    endpoint.production_variants = _summaries(
        endpoint, config.production_variants, endpoint.production_variants, retained
    )
    current_shadows = getattr(endpoint, "shadow_production_variants", None) or []
    shadows = _summaries(endpoint, _shadow_variants(config), current_shadows, retained)
    endpoint.shadow_production_variants = shadows or None
    endpoint.async_inference_config = config.async_inference_config
    if "DataCaptureConfig" not in retained:
        endpoint.data_capture_config = config.data_capture_config


def _summaries(
    endpoint: FakeEndpoint,
    variants: list[dict[str, Any]],
    current: list[dict[str, Any]],
    retained: frozenset[str],
) -> list[dict[str, Any]]:
    """DescribeEndpoint's summaries of `variants`, with the `retained` properties of the
    `current` summary of the same name where there is one."""
    kept_fields = [
        name
        for prop in retained & _VARIANT_PROPERTY_FIELDS.keys()
        for name in _VARIANT_PROPERTY_FIELDS[prop]
    ]
    current_by_name = {summary["VariantName"]: summary for summary in current}
    # The same derivation moto applies at creation, so Describe keeps one shape.
    summaries = endpoint._process_production_variants(variants)
    for summary in summaries:
        kept = current_by_name.get(summary["VariantName"], {})
        summary.update({name: kept[name] for name in kept_fields if name in kept})
    return summaries


def _summaries_named(endpoint: FakeEndpoint, names: list[str]) -> list[dict[str, Any]]:
    by_name = {summary["VariantName"]: summary for summary in endpoint.production_variants}
    for index, name in enumerate(names):
        if name in names[:index]:
            raise _validation(f'The variant name "{name}" was non-unique within the request.')
        if name not in by_name:
            raise _validation(
                f'The variant name(s) "{name}" is/are not present within endpoint configuration'
                f' "{endpoint.endpoint_config_name}".'
            )
    return [by_name[name] for name in names]


def _retained_properties(params: dict[str, Any]) -> frozenset[str]:
    if not params.get("RetainAllVariantProperties"):
        return frozenset()
    excluded = params.get("ExcludeRetainedVariantProperties", [])
    return _RETAINABLE_PROPERTIES - {prop["VariantPropertyType"] for prop in excluded}


def _require_unscaled(
    backend: SageMakerModelBackend, endpoint: FakeEndpoint, config: FakeEndpointConfig
) -> None:
    """Refuse to remove, or change the instance type of, a variant that Application Auto
    Scaling scales."""
    running = backend.endpoint_configs.get(endpoint.endpoint_config_name)
    if running is None:
        # A configuration deleted under a live endpoint leaves nothing to compare with.
        return
    old, new = _instance_types(running), _instance_types(config)
    scaled = _scalable_variants(backend, endpoint.endpoint_name)
    blocked = [
        name
        for name, instance_type in old.items()
        if name in scaled and (name not in new or new[name] != instance_type)
    ]
    if blocked:
        raise _validation(SCALABLE_VARIANTS.format(variants=", ".join(blocked)))


def _instance_types(config: FakeEndpointConfig) -> dict[str, str | None]:
    return {variant["VariantName"]: variant.get("InstanceType") for variant in _variants(config)}


def _scalable_variants(backend: SageMakerModelBackend, endpoint_name: str) -> set[str]:
    autoscaling = applicationautoscaling_backends[backend.account_id][backend.region_name]
    prefix = f"endpoint/{endpoint_name}/variant/"
    targets = autoscaling.describe_scalable_targets("sagemaker", None, None)
    return {t.resource_id.removeprefix(prefix) for t in targets if t.resource_id.startswith(prefix)}


def _alarm_watch(
    backend: SageMakerModelBackend, deployment: dict[str, Any]
) -> Callable[[], list[str]]:
    alarms = deployment.get("AutoRollbackConfiguration", {}).get("Alarms", [])
    cloudwatch = cloudwatch_backends[backend.account_id][backend.region_name]
    return partial(_alarms_in_alarm, cloudwatch, [alarm["AlarmName"] for alarm in alarms])


def _alarms_in_alarm(cloudwatch: CloudWatchBackend, names: list[str]) -> list[str]:
    alarms = cloudwatch.get_alarms_by_alarm_names(names)
    return [alarm.name for alarm in alarms if alarm.state_value == "ALARM"]


def _deployment_plan(deployment: dict[str, Any]) -> tuple[int, float, float]:
    """(traffic shifting steps, bake seconds after each, seconds before the old fleet goes)"""
    if rolling := deployment.get("RollingUpdatePolicy"):
        return 2, rolling.get("WaitIntervalInSeconds", 0), 0
    blue_green = deployment.get("BlueGreenUpdatePolicy", {})
    routing = blue_green.get("TrafficRoutingConfiguration", {})
    return (
        _traffic_steps(routing),
        routing.get("WaitIntervalInSeconds", 0),
        blue_green.get("TerminationWaitInSeconds", 0),
    )


def _traffic_steps(routing: dict[str, Any]) -> int:
    if routing.get("Type") == "CANARY":
        return 2
    if routing.get("Type") == "LINEAR":
        step = routing.get("LinearStepSize", {})
        if step.get("Type") == "CAPACITY_PERCENT":
            return math.ceil(100 / step["Value"])
        # Steps of some instances depend on the fleet's size, which the simulator ignores.
        return 2
    return 1


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
    return {variant["ModelName"] for variant in _variants(config)} if config else set()


def _variants(config: FakeEndpointConfig) -> list[dict[str, Any]]:
    return [*config.production_variants, *_shadow_variants(config)]


def _shadow_variants(config: FakeEndpointConfig) -> list[dict[str, Any]]:
    # Configurations that moto creates itself, from a CloudFormation template, lack the attribute.
    return getattr(config, "shadow_production_variants", None) or []


def _check_request(operation: str, params: dict[str, Any]) -> None:
    """SageMaker refuses a request that breaks its API's shape (a maximum, an enum, a length, a
    pattern), which botocore's client-side validation lets through: the same strict check the
    provider runs before its first change, so the two cannot disagree."""
    if operation not in _SAGEMAKER_OPERATIONS:
        return
    problems = request_problems("sagemaker", operation, params)
    if problems:
        raise _validation(f"{len(problems)} validation error(s) detected: " + "; ".join(problems))


def _check_variants(backend: SageMakerModelBackend, params: dict[str, Any]) -> None:
    for field_name in ("ProductionVariants", "ShadowProductionVariants"):
        for variant in params.get(field_name, []):
            if variant["ModelName"] not in backend._models:
                arn = _arn(backend, "model", variant["ModelName"])
                raise _validation(f'Could not find model "{arn}".')


def _known_to_moto(variant: dict[str, Any]) -> dict[str, Any]:
    if "InstanceType" not in variant:
        return variant
    return {**variant, "InstanceType": _INSTANCE_TYPE_MOTO_KNOWS}


def _attribute(field_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", field_name).lower()


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


def _runtime_invocation(environ: WSGIEnvironment) -> tuple[str, dict[str, Any], bytes] | None:
    """(operation, parameters, body) of a SageMaker Runtime call; None for other requests."""
    path = _RUNTIME_PATH.fullmatch(environ.get("PATH_INFO", ""))
    credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    signed_for_sagemaker = credential is not None and credential["service"] == "sagemaker"
    if environ.get("REQUEST_METHOD") != "POST" or path is None or not signed_for_sagemaker:
        return None
    operation = _RUNTIME_OPERATIONS[path["action"]]
    request = Request(environ)
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


def _serving_endpoint(backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise _runtime_validation(f"Endpoint {name} of account {backend.account_id} not found.")
    if endpoint.endpoint_status not in SERVING_STATUSES:
        raise _runtime_validation(f"Endpoint {name} is not in service.")
    return endpoint


def _invoked_variant(endpoint: FakeEndpoint, target: str | None) -> str:
    summaries = endpoint.production_variants
    if target is None:
        # SageMaker splits traffic at random by weight; the heaviest variant, first among equals,
        # keeps answers deterministic.
        return max(summaries, key=lambda summary: summary.get("CurrentWeight", 1.0))["VariantName"]
    if target not in [summary["VariantName"] for summary in summaries]:
        raise _runtime_validation(
            f"Variant {target} not found for endpoint {endpoint.endpoint_name}."
        )
    return target


def _check_service_available(custom_attributes: str) -> None:
    if SERVICE_UNAVAILABLE_SWITCH in custom_attributes:
        raise _InvocationError("ServiceUnavailable", "Service Unavailable", 503)


def _check_model_answers(backend: SageMakerModelBackend, name: str, custom_attributes: str) -> None:
    _check_service_available(custom_attributes)
    if MODEL_NOT_READY_SWITCH in custom_attributes:
        raise _InvocationError(
            "ModelNotReadyException",
            f"Model for endpoint {name} is not ready yet. Wait and try your request again.",
            429,
        )
    if MODEL_ERROR_SWITCH in custom_attributes:
        raise _model_error(backend, name)


def _model_error(backend: SageMakerModelBackend, name: str) -> _InvocationError:
    region, account = backend.region_name, backend.account_id
    message = MODEL_ERROR.format(
        original=SIMULATED_MODEL_ERROR, region=region, name=name, account=account
    )
    return _InvocationError(
        "ModelError",
        message,
        424,
        OriginalStatusCode=500,
        OriginalMessage=SIMULATED_MODEL_ERROR,
        LogStreamArn=f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{name}",
    )


def _payload_too_large() -> Response:
    # SageMaker's HTTP front end refuses it before the service proper sees it: no error code,
    # no JSON, so botocore reports the status as the code.
    return Response(
        f"HTTP content length exceeded {MAX_PAYLOAD_BYTES} bytes.",
        status=413,
        content_type="text/plain",
    )


def _response_content_type(params: dict[str, Any]) -> str:
    return params.get("Accept") or params.get("ContentType") or "application/octet-stream"


def _async_output_config(endpoint: FakeEndpoint) -> dict[str, str]:
    config = endpoint.async_inference_config
    if not config:
        raise _runtime_validation(
            f"Endpoint {endpoint.endpoint_name} is not an asynchronous inference endpoint."
        )
    return config["OutputConfig"]


def _async_input(s3: S3Backend, location: str | None) -> bytes:
    if location is None:
        raise _runtime_validation("InputLocation is required: the simulator takes no inline Body.")
    try:
        key = s3.get_object(*_s3_location(location))
    except MissingBucket:
        key = None
    if key is None:
        raise _runtime_validation(f"Could not read the input location {location}.")
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
        raise _runtime_validation(f"The simulator reaches S3 only through s3:// URIs, not {uri}.")
    return match["bucket"], match["key"]


def _s3_join(path: str, name: str) -> str:
    return f"{path.rstrip('/')}/{name}"


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
