"""SageMaker behaviour that moto leaves out, layered over moto's WSGI app.

moto answers SageMaker from an in-process backend in which endpoints are InService at once,
names can be created twice and UpdateEndpoint does not exist. `SageMakerSimulator` intercepts
SageMaker's JSON 1.1 requests (`wire`), refuses those SageMaker would refuse (`validation`,
`resources`), drives each endpoint through its documented status timeline (`timeline`) and
answers SageMaker Runtime with an echo model (`runtime`); everything else reaches moto. Inference
components, which moto lacks, are the simulator's own (`components`, `component_operations`),
placed on their endpoints' instances (`hosting`, `capacity`) and scaled on simulated time
(`autoscaling`, `metrics`).
"""

import io
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from moto.core.utils import utcnow
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Response

from localaws.sagemaker import hosting, resources, timeline
from localaws.sagemaker.autoscaling import Autoscaler, accept_component_targets
from localaws.sagemaker.component_operations import ComponentOperations, Durations
from localaws.sagemaker.components import Components
from localaws.sagemaker.metrics import Metrics
from localaws.sagemaker.runtime import Runtime
from localaws.sagemaker.validation import check_request
from localaws.sagemaker.wire import (
    ClientError,
    Request,
    backend_for,
    is_moto_reset,
    json_response,
    read_json_body,
    runtime_invocation,
    sagemaker_operation,
    throttling,
    validation,
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
    # Inference components: how long their changes take, as the endpoint durations above.
    component_create_seconds: float = 2.0
    component_update_seconds: float = 2.0
    component_delete_seconds: float = 1.0
    # How long a stateful session lasts, and how long each echo keeps a request in flight (the
    # concurrency that ConcurrentRequestsPerCopy target tracking sees).
    session_seconds: float = 1200.0
    invocation_seconds: float = 1.0
    failing_image_marker: str = "fail"
    throttle: dict[str, float] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic


_TAG_OPERATIONS = ("AddTags", "ListTags", "DeleteTags")


@dataclass(frozen=True)
class Call:
    """One SageMaker or SageMaker Runtime request that got past throttling; `at` is a reading of
    the settings' clock. Invocations log their headers by botocore's member names, and the
    length of the body as BodyLength."""

    operation: str
    params: dict[str, Any]
    at: float


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
        self._timeline = timeline.Timeline()
        self._components = Components()
        self._placements = hosting.Placements()
        self._metrics = Metrics()
        self._component_operations = ComponentOperations(
            self._components,
            self._placements,
            self._component_durations,
            lambda: self.settings.failing_image_marker,
        )
        accept_component_targets()
        self._autoscaler = Autoscaler(
            self._components,
            self._component_operations,
            self._metrics,
            lambda: self.settings.invocation_seconds,
        )
        self._runtime = Runtime(self._components, self._placements, self._metrics)
        self._buckets: dict[str, _TokenBucket] = {}
        self._handlers: dict[str, Callable[[Request], Response]] = {
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
            **self._component_operations.handlers(),
            **{operation: partial(self._tags, operation) for operation in _TAG_OPERATIONS},
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # Before moto sees the request, which may be the S3 read of an asynchronous result.
        self._deliver_async_results()
        if (operation := sagemaker_operation(environ)) is not None:
            response = self._handle(environ, operation, read_json_body(environ))
            return response(environ, start_response)
        if invocation := runtime_invocation(environ):
            response = self._handle(environ, *invocation)
            return response(environ, start_response)
        if is_moto_reset(environ):
            self.reset()
        return self.app(environ, start_response)

    def operations(self) -> list[str]:
        """Names of the SageMaker operations received so far, oldest first."""
        with self._lock:
            return [call.operation for call in self.calls]

    def calls_to(self, operation: str) -> list[Call]:
        with self._lock:
            return [call for call in self.calls if call.operation == operation]

    def advance(self, now: float | None = None) -> None:
        """Let simulated time reach `now` (default: the settings' clock) without a request:
        pending changes complete, and autoscaling and alarms act, as they would have by then."""
        with self._lock:
            self._advance(self.settings.clock() if now is None else now)

    def hosting(self) -> list[dict[str, Any]]:
        """What runs on the endpoints that host inference components, for a demo to print:
        per endpoint variant, its instance count and each component's current and desired
        copies. The same figures DescribeEndpoint and DescribeInferenceComponent give."""
        with self._lock:
            return [
                {
                    "EndpointName": endpoint.endpoint_name,
                    "VariantName": summary["VariantName"],
                    "InstanceCount": summary.get("CurrentInstanceCount", 0),
                    "Copies": {
                        c.name: (c.current_copies, c.desired_copies)
                        for c in self._components
                        if c.endpoint_arn == endpoint.arn
                        and c.variant_name == summary["VariantName"]
                    },
                }
                for endpoint in self._placements.endpoints()
                for summary in endpoint.production_variants
            ]

    def reset(self) -> None:
        """Forget pending status changes and asynchronous results, inference components,
        sessions, metrics, throttling buckets, calls, misuse and throttle counts."""
        with self._lock:
            self._timeline.clear()
            self._component_operations.clear()
            self._autoscaler.clear()
            self._metrics.clear()
            self._runtime.clear()
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
                return throttling(operation).response()
            self.calls.append(Call(operation, params, now))
            self._advance(now)
            handler = self._handlers.get(operation, self._forward)
            try:
                check_request(operation, params)
                return handler(Request(environ, params, backend_for(environ), now, body))
            except ClientError as error:
                return error.response()

    def _advance(self, now: float) -> None:
        self._autoscaler.run(now, self._component_operations.advance)
        self._component_operations.advance(now)
        self._timeline.advance(now, self._seconds(self.settings.update_seconds))

    def _component_durations(self) -> Durations:
        settings = self.settings
        return Durations(
            create=self._seconds(settings.component_create_seconds),
            update=self._seconds(settings.component_update_seconds),
            delete=self._seconds(settings.component_delete_seconds),
            policy_wait_scale=settings.policy_wait_scale * settings.time_scale,
        )

    def _admit(self, operation: str, now: float) -> bool:
        rate = self.settings.throttle.get(operation)
        if rate is None:
            return True
        bucket = self._buckets.setdefault(operation, _TokenBucket(max(1.0, rate), now))
        return bucket.take(rate, now)

    def _deliver_async_results(self) -> None:
        with self._lock:
            self.misuse.extend(self._runtime.deliver(self.settings.clock()))

    def _seconds(self, seconds: float) -> float:
        return seconds * self.settings.time_scale

    def _forward(self, request: Request) -> Response:
        body, status, headers = run_wsgi_app(self.app, request.environ, buffered=True)
        return Response(body, status=status, headers=headers)

    def _forward_with(self, request: Request, params: dict[str, Any]) -> Response:
        body = json.dumps(params).encode()
        environ = {**request.environ, "wsgi.input": io.BytesIO(body)}
        environ["CONTENT_LENGTH"] = str(len(body))
        return self._forward(replace(request, environ=environ))

    def _create_model(self, request: Request) -> Response:
        name = request.params["ModelName"]
        if name in request.backend._models:
            raise resources.already_exists("model", resources.arn(request.backend, "model", name))
        return self._forward(request)

    def _create_endpoint_config(self, request: Request) -> Response:
        backend, params = request.backend, request.params
        name = params["EndpointConfigName"]
        if name in backend.endpoint_configs:
            arn = resources.arn(backend, "endpoint-config", name)
            raise resources.already_exists("endpoint configuration", arn)
        resources.check_variants(backend, params)
        hosting.check_config(params)
        variants = params["ProductionVariants"]
        moto_params = {
            **params,
            "ProductionVariants": [resources.known_to_moto(v) for v in variants],
        }
        if hosting.is_component_config(params):
            response = _store_component_config(request, moto_params)
        else:
            response = self._forward_with(request, moto_params)
        if response.status_code == 200:
            config = backend.endpoint_configs[name]
            config.production_variants = variants
            for field_name in resources.CONFIG_FIELDS_MOTO_DROPS:
                setattr(config, resources.attribute(field_name), params.get(field_name))
        return response

    def _describe_endpoint_config(self, request: Request) -> Response:
        response = self._forward(request)
        if response.status_code != 200:
            return response
        body = json.loads(response.get_data())
        # moto stores {} for a DataCaptureConfig nobody gave; SageMaker leaves the field out.
        if body.get("DataCaptureConfig") == {}:
            del body["DataCaptureConfig"]
        return json_response(body)

    def _create_endpoint(self, request: Request) -> Response:
        backend, name = request.backend, request.params["EndpointName"]
        if name in backend.endpoints:
            raise resources.already_exists("endpoint", resources.arn(backend, "endpoint", name))
        config = resources.endpoint_config(backend, request.params["EndpointConfigName"])
        response = self._forward(request)
        if response.status_code == 200:
            endpoint = backend.endpoints[name]
            timeline.deploy(endpoint, config)
            self._placements.deployed(endpoint, config)
            failure = timeline.failure_reason(backend, config, self.settings.failing_image_marker)
            complete = partial(timeline.finish_create, endpoint, failure)
            due = request.now + self._seconds(self.settings.create_seconds)
            self._timeline.begin(endpoint, "Creating", due, complete)
        return response

    def _describe_endpoint(self, request: Request) -> Response:
        resources.endpoint(request.backend, request.params["EndpointName"])
        return self._forward(request)

    def _update_endpoint(self, request: Request) -> Response:
        backend, params = request.backend, request.params
        endpoint = resources.endpoint(backend, params["EndpointName"])
        timeline.require_updatable(endpoint)
        config = resources.endpoint_config(backend, params["EndpointConfigName"])
        timeline.require_unscaled(backend, endpoint, config)
        hosted = self._components.on_endpoint(backend, endpoint.endpoint_name)
        hosting.check_update(endpoint, config, hosted)
        endpoint.pending_deployment_summary = {
            "EndpointConfigName": config.endpoint_config_name,
            "StartTime": utcnow(),
        }
        failure = timeline.failure_reason(backend, config, self.settings.failing_image_marker)
        retained = timeline.retained_properties(params)
        update = partial(timeline.finish_update, endpoint, config, failure, retained)
        complete = partial(self._redeployed, request, endpoint, config, update)
        deployment = params.get("DeploymentConfig", {})
        due = request.now + self._update_seconds(deployment)
        alarms = timeline.alarm_watch(backend, deployment)
        self._timeline.begin(endpoint, "Updating", due, complete, alarms)
        return json_response({"EndpointArn": endpoint.arn})

    def _redeployed(
        self,
        request: Request,
        endpoint: FakeEndpoint,
        config: FakeEndpointConfig | None,
        change: Callable[[], object],
    ) -> None:
        """Complete an endpoint's update, then place its components' copies on what it runs."""
        change()
        if config is not None and endpoint.endpoint_config_name == config.endpoint_config_name:
            self._placements.deployed(endpoint, config)
        self._placements.rebalance(request.backend, endpoint, self._components)

    def _update_seconds(self, deployment: dict[str, Any]) -> float:
        steps, bake_seconds, termination_seconds = timeline.deployment_plan(deployment)
        wait_scale = self.settings.policy_wait_scale
        step_seconds = self.settings.update_seconds + bake_seconds * wait_scale
        return self._seconds(steps * step_seconds + termination_seconds * wait_scale)

    def _update_weights_and_capacities(self, request: Request) -> Response:
        endpoint = resources.endpoint(request.backend, request.params["EndpointName"])
        timeline.require_updatable(endpoint)
        changes = request.params["DesiredWeightsAndCapacities"]
        names = [change["VariantName"] for change in changes]
        summaries = timeline.summaries_named(endpoint, names)
        for change, summary in zip(changes, summaries, strict=True):
            fields = timeline.VARIANT_PROPERTY_FIELDS
            summary.update({key: change[key] for key in fields if key in change})
        due = request.now + self._seconds(self.settings.update_seconds)
        scaling = partial(timeline.finish_scaling, endpoint)
        complete = partial(self._redeployed, request, endpoint, None, scaling)
        self._timeline.begin(endpoint, "Updating", due, complete)
        return json_response({"EndpointArn": endpoint.arn})

    def _delete_endpoint(self, request: Request) -> Response:
        endpoint = resources.endpoint(request.backend, request.params["EndpointName"])
        if endpoint.endpoint_status in timeline.IN_PROGRESS_STATUSES:
            raise validation(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if endpoint.endpoint_status == "Deleting":
            # A repeated delete must not push back the moment the first one completes.
            return json_response({})
        self._component_operations.require_no_components(request.backend, endpoint)
        complete = partial(self._endpoint_deleted, request, endpoint)
        due = request.now + self._seconds(self.settings.delete_seconds)
        self._timeline.begin(endpoint, "Deleting", due, complete)
        return json_response({})

    def _endpoint_deleted(self, request: Request, endpoint: FakeEndpoint) -> None:
        request.backend.endpoints.pop(endpoint.endpoint_name, None)
        self._placements.forget(endpoint)

    def _delete_endpoint_config(self, request: Request) -> Response:
        name = request.params["EndpointConfigName"]
        for endpoint_name, config_name in resources.configs_in_use(request.backend):
            if config_name == name:
                self.misuse.append(
                    f'DeleteEndpointConfig "{name}" while endpoint "{endpoint_name}" uses it'
                )
        return self._forward(request)

    def _delete_model(self, request: Request) -> Response:
        name = request.params["ModelName"]
        for endpoint_name, config_name in resources.configs_in_use(request.backend):
            if name in resources.model_names(request.backend, config_name):
                self.misuse.append(
                    f'DeleteModel "{name}" while endpoint "{endpoint_name}" uses it'
                    f' through endpoint configuration "{config_name}"'
                )
        for component in self._component_operations.models_in_use(request.backend).get(name, []):
            self.misuse.append(
                f'DeleteModel "{name}" while inference component "{component}" uses it'
            )
        return self._forward(request)

    def _tags(self, operation: str, request: Request) -> Response:
        answer = self._component_operations.tags(operation, request)
        return answer if answer is not None else self._forward(request)

    def _invoke_endpoint(self, request: Request) -> Response:
        return self._runtime.invoke(request, self._seconds(self.settings.session_seconds))

    def _invoke_endpoint_async(self, request: Request) -> Response:
        due = request.now + self._seconds(self.settings.async_seconds)
        return self._runtime.invoke_async(request, due)


def _store_component_config(request: Request, moto_params: dict[str, Any]) -> Response:
    """Store a configuration whose variants host inference components: moto's CreateEndpointConfig
    fails on variants without a ModelName, so the simulator builds moto's object itself."""
    backend = request.backend
    config = FakeEndpointConfig(
        account_id=backend.account_id,
        region_name=backend.region_name,
        endpoint_config_name=moto_params["EndpointConfigName"],
        production_variants=moto_params["ProductionVariants"],
        async_inference_config=moto_params.get("AsyncInferenceConfig"),
        data_capture_config=moto_params.get("DataCaptureConfig"),
        tags=moto_params.get("Tags"),
        kms_key_id=moto_params.get("KmsKeyId"),
    )
    backend.endpoint_configs[config.endpoint_config_name] = config
    return json_response({"EndpointConfigArn": config.endpoint_config_arn})
