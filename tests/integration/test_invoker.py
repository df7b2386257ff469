"""The invoker's real handler, every event shape, against moto and the SageMaker simulator."""

from __future__ import annotations

import base64
import json
import socket
import threading

import boto3
import pytest

from localaws.functions import LambdaContext, load_function
from localaws.sam_local import LOCAL_ENV, create_payload_bucket
from tests.support.events import HTTP_DOOR_EVENTS, load_event

ENDPOINT = "churn-invoker"
ASYNC_ENDPOINT = "churn-async"
BUCKET = "invoker-payloads"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


@pytest.fixture(scope="module")
def invoker_module(provider_app):
    """Loaded once: the environment is read per test (the settings cache is cleared)."""
    return load_function("invoker")


@pytest.fixture
def invoker_app(invoker_module, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_ENDPOINT_NAME", ENDPOINT)
    monkeypatch.setenv("ASYNC_BUCKET", BUCKET)
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "endpoint-invoker")
    invoker_module.invoker.cache_clear()
    yield invoker_module
    invoker_module.invoker.cache_clear()


@pytest.fixture
def endpoints(provider_app, local_aws, simulated_clock):
    """A real-time and an async endpoint, InService, and the invoker's payload bucket."""
    sagemaker = boto3.client("sagemaker")
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img"})
    variants = [
        {"VariantName": name, "ModelName": "m", "InstanceType": "ml.m5.large",
         "InitialInstanceCount": 1, "InitialVariantWeight": weight}
        for name, weight in (("AllTraffic", 1.0), ("Challenger", 0.0))
    ]  # fmt: skip
    sagemaker.create_endpoint_config(EndpointConfigName="realtime", ProductionVariants=variants)
    sagemaker.create_endpoint_config(
        EndpointConfigName="async",
        ProductionVariants=variants[:1],
        AsyncInferenceConfig={
            "OutputConfig": {
                "S3OutputPath": f"s3://{BUCKET}/async-output/",
                "S3FailurePath": f"s3://{BUCKET}/async-failure/",
            }
        },
    )
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="realtime")
    sagemaker.create_endpoint(EndpointName=ASYNC_ENDPOINT, EndpointConfigName="async")
    # SageMaker creates them while the test's clock moves on
    simulated_clock.sleep(local_aws.simulator.settings.create_seconds)
    for name in (ENDPOINT, ASYNC_ENDPOINT):
        assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService"
    return sagemaker


def invoke(app, event):
    return app.handler(
        event,
        LambdaContext("invoker", "arn:aws:lambda:us-east-1:123456789012:function:invoker", 60),
    )


def body_of(response):
    if response.get("isBase64Encoded"):
        return base64.b64decode(response["body"])
    return response["body"].encode()


def headers_of(response):
    """An HTTP answer's headers, one value each, wherever its door reads them."""
    if "multiValueHeaders" in response:
        return {name: value for name, (value,) in response["multiValueHeaders"].items()}
    return response["headers"]


@pytest.mark.parametrize("event_file", HTTP_DOOR_EVENTS)
def test_http_events_are_answered_in_their_shape(invoker_app, endpoints, event_file):
    # Given a request as the HTTP front door delivers it
    event = load_event(event_file)

    # When the invoker handles it
    response = invoke(invoker_app, event)

    # Then the model's answer (the simulator echoes) comes back with its content type, in
    # the door's own response format
    assert response["statusCode"] == 200, response
    sent = event["body"]
    is_base64 = event.get("isBase64Encoded") or event.get("is_base64_encoded")
    assert body_of(response) == (base64.b64decode(sent) if is_base64 else sent.encode())
    headers = event.get("headers") or event["multiValueHeaders"]
    accept = {name.lower(): value for name, value in headers.items()}["accept"]
    assert [headers_of(response)["Content-Type"]] == (
        [accept] if isinstance(accept, str) else accept
    )
    assert headers_of(response)["X-Amzn-Invoked-Production-Variant"] == "AllTraffic"


def test_a_direct_invocation_answers_a_document(invoker_app, endpoints, local_aws):
    # When invoked directly with options
    response = invoke(invoker_app, load_event("invoke-direct.json"))

    # Then the answer is a JSON document, and the options reached the endpoint
    assert response["statusCode"] == 200, response
    assert response["body"] == {"instances": [[0.3, 12, 1, 0]]}
    assert response["invokedProductionVariant"] == "AllTraffic"
    call = local_aws.simulator.calls_to("InvokeEndpoint")[-1]
    assert call.params["TargetVariant"] == "AllTraffic"
    assert call.params["CustomAttributes"] == "trace=demo-42"


def test_pass_through_headers_reach_the_endpoint(invoker_app, endpoints, local_aws):
    # Given an HTTP request naming a variant, an inference ID and custom attributes
    event = load_event("invoke-function-url.json")
    event["headers"].update(
        {
            "x-amzn-sagemaker-target-variant": "Challenger",
            "x-amzn-sagemaker-inference-id": "req-77",
        }
    )

    # When handled
    response = invoke(invoker_app, event)

    # Then the endpoint saw them and the chosen variant answered
    assert response["statusCode"] == 200, response
    assert response["headers"]["X-Amzn-Invoked-Production-Variant"] == "Challenger"
    params = local_aws.simulator.calls_to("InvokeEndpoint")[-1].params
    assert (params["TargetVariant"], params["InferenceId"]) == ("Challenger", "req-77")
    assert response["headers"]["X-Amzn-SageMaker-Custom-Attributes"] == "trace=demo-42"


def test_binary_payloads_round_trip_byte_for_byte(invoker_app, endpoints):
    event = load_event("invoke-http-api-binary.json")
    response = invoke(invoker_app, event)
    assert response["statusCode"] == 200, response
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == base64.b64decode(event["body"])


def test_csv_in_csv_out(invoker_app, endpoints):
    response = invoke(invoker_app, load_event("invoke-http-api.json"))
    assert (response["statusCode"], response["headers"]["Content-Type"]) == (200, "text/csv")
    assert response["body"] == "0.3,12,1,0\n0.7,3,0,1\n"


def test_async_mode_answers_202_and_the_result_is_fetched_later(
    invoker_app, endpoints, monkeypatch, local_aws, simulated_clock
):
    # Given the invoker pointed at an async endpoint
    monkeypatch.setenv("SAGEMAKER_ENDPOINT_NAME", ASYNC_ENDPOINT)
    invoker_app.invoker.cache_clear()
    event = load_event("invoke-async-function-url.json")

    # When a request is sent asynchronously
    accepted = invoke(invoker_app, event)

    # Then it is accepted with where the result and a failure will appear
    assert accepted["statusCode"] == 202, accepted
    receipt = json.loads(accepted["body"])
    assert receipt["InferenceId"]
    assert receipt["OutputLocation"].startswith(f"s3://{BUCKET}/async-output/")
    assert receipt["FailureLocation"].startswith(f"s3://{BUCKET}/async-failure/")
    # And the payload went through the invoker's input prefix
    inputs = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="async-input/")
    assert inputs["KeyCount"] == 1

    # When the result is fetched by its location until it is there
    fetch = load_event("invoke-function-url.json")
    fetch["requestContext"]["http"]["method"] = "GET"
    fetch["queryStringParameters"] = {
        "location": receipt["OutputLocation"],
        "failureLocation": receipt["FailureLocation"],
    }
    result = invoke(invoker_app, fetch)
    waited = 0.0
    while result["statusCode"] == 202 and waited < 10:
        simulated_clock.sleep(0.1)
        waited += 0.1
        result = invoke(invoker_app, fetch)

    # Then it is the model's answer, once SageMaker took its time to write it
    assert result["statusCode"] == 200, result
    assert waited >= local_aws.simulator.settings.async_seconds
    assert body_of(result) == event["body"].encode()


def test_results_outside_the_invokers_bucket_are_refused(invoker_app, endpoints):
    response = invoke(invoker_app, {"mode": "result", "outputLocation": "s3://other/secret.out"})
    assert response["statusCode"] == 400
    assert "location must be" in response["body"]["message"]


def test_a_model_error_returns_424_with_the_log_stream(invoker_app, endpoints):
    event = load_event("invoke-function-url.json")
    event["headers"]["x-amzn-sagemaker-custom-attributes"] = "simulate-model-error"
    response = invoke(invoker_app, event)
    document = json.loads(response["body"])
    assert response["statusCode"] == 424, response
    assert document["error"] == "ModelError"
    assert document["logStreamArn"].startswith("arn:aws:logs:")
    assert "Traceback" not in response["body"]


@pytest.mark.parametrize(
    ("attribute", "error"),
    [
        ("simulate-service-unavailable", "ServiceUnavailable"),
        ("simulate-model-not-ready", "ModelNotReadyException"),
    ],
)
def test_transient_failures_answer_503_with_retry_after(invoker_app, endpoints, attribute, error):
    event = load_event("invoke-function-url.json")
    event["headers"]["x-amzn-sagemaker-custom-attributes"] = attribute
    response = invoke(invoker_app, event)
    assert response["statusCode"] == 503, response
    assert json.loads(response["body"])["error"] == error
    assert int(response["headers"]["Retry-After"]) > 0


def test_throttling_answers_503_with_retry_after(invoker_app, endpoints, local_aws):
    local_aws.simulator.settings.throttle = {"InvokeEndpoint": 0.001}
    event = load_event("invoke-function-url.json")
    responses = [invoke(invoker_app, event) for _ in range(3)]
    throttled = [r for r in responses if r["statusCode"] == 503]
    assert throttled, responses
    assert throttled[0]["headers"]["Retry-After"] == "1"


def test_an_endpoint_still_creating_answers_503(invoker_app, endpoints, local_aws, monkeypatch):
    # Given an endpoint SageMaker is still creating
    local_aws.simulator.settings.create_seconds = 30
    endpoints.create_endpoint(EndpointName="churn-creating", EndpointConfigName="realtime")
    monkeypatch.setenv("SAGEMAKER_ENDPOINT_NAME", "churn-creating")
    invoker_app.invoker.cache_clear()

    # When invoked
    response = invoke(invoker_app, {"body": {"x": 1}})

    # Then the caller is told to come back later
    assert response["statusCode"] == 503, response
    assert int(response["retryAfter"]) > 0


def test_an_unknown_endpoint_is_a_configuration_error(invoker_app, endpoints, monkeypatch):
    monkeypatch.setenv("SAGEMAKER_ENDPOINT_NAME", "no-such-endpoint")
    invoker_app.invoker.cache_clear()
    response = invoke(invoker_app, load_event("invoke-direct.json"))
    assert response["statusCode"] == 500
    assert response["body"]["error"] == "ConfigurationError"
    assert "check SAGEMAKER_ENDPOINT_NAME" in response["body"]["message"]


@pytest.mark.parametrize(("value", "message"), [(None, "is not set"), ("churn_v1", "is invalid")])
def test_a_missing_or_malformed_endpoint_name_answers_clearly(
    invoker_app, monkeypatch, value, message
):
    if value is None:
        monkeypatch.delenv("SAGEMAKER_ENDPOINT_NAME")
    else:
        monkeypatch.setenv("SAGEMAKER_ENDPOINT_NAME", value)
    invoker_app.invoker.cache_clear()
    response = invoke(invoker_app, load_event("invoke-function-url.json"))
    assert response["statusCode"] == 500
    assert message in json.loads(response["body"])["message"]


def test_a_payload_too_large_for_real_time_points_to_async(invoker_app, endpoints, local_aws):
    big = {"bodyBase64": base64.b64encode(b"\0" * (6 * 1024 * 1024 + 1)).decode()}
    response = invoke(invoker_app, big)
    assert response["statusCode"] == 413
    assert "asynchronously" in response["body"]["message"]
    assert not local_aws.simulator.calls_to("InvokeEndpoint")


@pytest.fixture
def silent_server():
    """Accepts connections and never answers: a SageMaker Runtime that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_hanging_runtime_answers_504(invoker_app, silent_server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", silent_server)
    monkeypatch.setenv("RUNTIME_READ_TIMEOUT_SECONDS", "0.2")
    invoker_app.invoker.cache_clear()
    response = invoke(invoker_app, load_event("invoke-function-url.json"))
    assert response["statusCode"] == 504, response
    assert json.loads(response["body"])["error"] == "Timeout"


def test_an_unreachable_runtime_points_at_the_vpc_endpoint(invoker_app, monkeypatch):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", f"http://127.0.0.1:{port}")
    invoker_app.invoker.cache_clear()
    response = invoke(invoker_app, load_event("invoke-function-url.json"))
    assert response["statusCode"] == 502, response
    assert "VPC interface endpoint" in json.loads(response["body"])["message"]


def test_a_json_claim_on_bytes_that_are_not_json_passes_through_untouched(invoker_app, endpoints):
    # Given a payload labelled JSON that is not JSON (the echo model answers it back as such)
    event = load_event("invoke-function-url.json")
    event["body"] = "{truncated"

    # When sent through a Function URL and directly
    url = invoke(invoker_app, event)
    direct = invoke(
        invoker_app,
        {"body": "{truncated", "contentType": "application/json", "accept": "application/json"},
    )

    # Then both answer 200 with the very bytes the model returned
    assert (url["statusCode"], url["body"]) == (200, "{truncated")
    assert direct["statusCode"] == 200, direct
    assert base64.b64decode(direct["bodyBase64"]) == b"{truncated"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("trace=1\r\nX-Injected: yes", "must be printable ASCII"),
        ("a" * 100 * 1024, "must be 0 to 1024 characters"),
    ],
)
def test_hostile_header_values_answer_400_before_any_call(
    invoker_app, endpoints, local_aws, value, message
):
    event = load_event("invoke-function-url.json")
    event["headers"]["x-amzn-sagemaker-custom-attributes"] = value
    response = invoke(invoker_app, event)
    assert response["statusCode"] == 400, response
    assert message in json.loads(response["body"])["message"]
    assert not local_aws.simulator.calls_to("InvokeEndpoint")


def test_async_mode_without_a_bucket_names_the_missing_setting(invoker_app, monkeypatch):
    monkeypatch.delenv("ASYNC_BUCKET")
    invoker_app.invoker.cache_clear()
    response = invoke(invoker_app, load_event("invoke-async-function-url.json"))
    assert response["statusCode"] == 500, response
    assert "ASYNC_BUCKET is not set" in json.loads(response["body"])["message"]


def test_sam_local_invoke_of_the_async_path_finds_its_payload_bucket(
    invoker_app, provider_app, local_aws, simulated_clock, monkeypatch
):
    # Given the local AWS as `make sam-local-invoke` prepares it, and the invoker with the
    # variables events/local-env.json gives it, bound to an async endpoint of that name
    bucket = create_payload_bucket(local_aws.endpoint_url, verify=False)
    variables = json.loads(LOCAL_ENV.read_text())["InvokerFunction"]
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i"})
    sagemaker.create_endpoint_config(
        EndpointConfigName="async",
        ProductionVariants=[
            {"VariantName": "AllTraffic", "ModelName": "m", "InstanceType": "ml.m5.large",
             "InitialInstanceCount": 1}
        ],
        AsyncInferenceConfig={"OutputConfig": {"S3OutputPath": f"s3://{bucket}/async-output/"}},
    )  # fmt: skip
    sagemaker.create_endpoint(
        EndpointName=variables["SAGEMAKER_ENDPOINT_NAME"], EndpointConfigName="async"
    )
    simulated_clock.sleep(local_aws.simulator.settings.create_seconds)
    endpoint = sagemaker.describe_endpoint(EndpointName=variables["SAGEMAKER_ENDPOINT_NAME"])
    assert endpoint["EndpointStatus"] == "InService"
    for name in ("SAGEMAKER_ENDPOINT_NAME", "ASYNC_BUCKET"):
        monkeypatch.setenv(name, variables[name])
    invoker_app.invoker.cache_clear()

    # When the async event is invoked (before, the bucket did not exist: NoSuchBucket)
    accepted = invoke(invoker_app, load_event("invoke-async-function-url.json"))

    # Then it is accepted, its body written to the payload bucket
    assert accepted["statusCode"] == 202, accepted
    assert bucket == variables["ASYNC_BUCKET"]
    assert boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="async-input/")["KeyCount"]
