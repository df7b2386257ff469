"""The invoker's logs and metrics are what Powertools' Logger and Metrics would write for the
same request: the same log keys, the same Embedded Metric Format documents."""

from __future__ import annotations

import io
import json
import logging
import uuid

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

from endpoint_invoker.invocation import Answer, Invocation, Mode
from endpoint_invoker.telemetry import Telemetry
from localaws.functions import LambdaContext

NAMESPACE, SERVICE = "SageMakerEndpointProvider", "endpoint-invoker"
# What changes from one line to the next whoever writes it.
VOLATILE = {"timestamp", "location", "service", "Timestamp"}


def context(request_id="req-1"):
    return LambdaContext(
        "invoker",
        "arn:aws:lambda:us-east-1:123456789012:function:invoker",
        60,
        aws_request_id=request_id,
        memory_limit_in_mb=512,
    )


def logger_to(service):
    """A logger of its own (Powertools shares one per service name) writing to `lines`, at
    INFO whatever POWERTOOLS_LOG_LEVEL another test's function environment left set."""
    lines = io.StringIO()
    unique = f"{service}-{uuid.uuid4().hex[:8]}"
    handler = logging.StreamHandler(lines)
    return Logger(service=unique, level="INFO", logger_handler=handler), lines


def written(lines):
    return [json.loads(line) for line in lines.getvalue().splitlines()]


def powertools_document(dimensions, metrics):
    """The EMF document Powertools' Metrics serialises for these metrics and dimensions."""
    provider = AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=SERVICE)
    for name, value in dimensions.items():
        provider.add_dimension(name=name, value=value)
    for name, unit, value in metrics:
        provider.add_metric(name=name, unit=unit, value=value)
    return provider.serialize_metric_set()


def without_timestamp(document):
    document = json.loads(json.dumps(document))
    del document["_aws"]["Timestamp"]
    return document


@pytest.fixture
def emitted():
    return []


@pytest.fixture
def telemetry(emitted, monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    logger, _ = logger_to("telemetry-metrics")
    return Telemetry(logger, NAMESPACE, SERVICE, write=emitted.append)


def test_each_request_writes_the_emf_document_powertools_would(telemetry, emitted):
    # Given a request answered, and one that failed
    invocation = Invocation(Mode.REALTIME, b"x" * 31)
    telemetry.begin(context(), None)
    emitted.clear()

    # When each is recorded
    telemetry.record(invocation, Answer(200, b"y" * 40), 2.5)
    telemetry.record(invocation, Answer.error(503, "NoCapacity", "later", retry_after=60), 1.0)

    # Then the documents are Powertools' own for the same metrics and dimensions
    answered, failed, error = (json.loads(line) for line in emitted)
    requests = [("InvocationLatency", "Milliseconds", 2.5), ("RequestBytes", "Bytes", 31.0)]
    assert without_timestamp(answered) == without_timestamp(
        powertools_document({}, [*requests, ("ResponseBytes", "Bytes", 40.0)])
    )
    assert failed["_aws"]["CloudWatchMetrics"] == answered["_aws"]["CloudWatchMetrics"]
    assert without_timestamp(error) == without_timestamp(
        powertools_document({"ErrorKind": "NoCapacity"}, [("Errors", "Count", 1)])
    )
    assert isinstance(answered["_aws"]["Timestamp"], int)


def test_the_cold_start_is_counted_once_as_powertools_counts_it(telemetry, emitted, capsys):
    # Given a fresh execution environment
    # When it serves two invocations
    telemetry.begin(context(), None)
    telemetry.begin(context("req-2"), None)

    # Then one ColdStart document was written, Powertools' own for this function
    (cold_start,) = (json.loads(line) for line in emitted)
    AmazonCloudWatchEMFProvider(namespace=NAMESPACE, service=SERVICE).add_cold_start_metric(
        context()
    )
    powertools = json.loads(capsys.readouterr().out)
    assert without_timestamp(cold_start) == without_timestamp(powertools)


def test_log_lines_carry_the_keys_powertools_inject_lambda_context_adds():
    # Given a logger as Powertools' decorator sets it up, and one that Telemetry sets up
    powertools, powertools_lines = logger_to("telemetry-powertools")
    ours, our_lines = logger_to("telemetry-ours")
    telemetry = Telemetry(ours, NAMESPACE, SERVICE, write=lambda line: None)

    @powertools.inject_lambda_context
    def handler(event, lambda_context):
        powertools.set_correlation_id("corr-1")
        powertools.info("hello")

    # When both log during their second invocation (the first is each one's cold start)
    for request in ("req-1", "req-2"):
        handler({}, context(request))
        telemetry.begin(context(request), "corr-1")
        ours.info("hello")

    # Then the lines carry the same keys and values
    first, second = written(our_lines)
    assert first["cold_start"] is True
    expected = {k: v for k, v in written(powertools_lines)[1].items() if k not in VOLATILE}
    assert {k: v for k, v in second.items() if k not in VOLATILE} == expected
    assert second["function_request_id"] == "req-2"
    assert second["correlation_id"] == "corr-1"


def test_without_a_correlation_id_of_the_door_lambdas_request_id_is_used():
    # Given a request whose door gave no request ID (a direct invocation)
    logger, lines = logger_to("telemetry-correlation")
    Telemetry(logger, NAMESPACE, SERVICE, write=lambda line: None).begin(context("req-9"), None)

    # When a line is logged, Then it is correlated by Lambda's request ID
    logger.info("hello")
    assert written(lines)[0]["correlation_id"] == "req-9"


def test_metrics_switched_off_write_nothing_and_the_log_line_stays(monkeypatch, emitted):
    # Given metrics disabled as Powertools reads it
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    logger, lines = logger_to("telemetry-disabled")
    telemetry = Telemetry(logger, NAMESPACE, SERVICE, write=emitted.append)

    # When a failed request is recorded
    telemetry.begin(context(), None)
    telemetry.record(None, Answer.error(400, "BadRequest", "no"), 0.1)

    # Then no metric is written, and the failure is still logged
    assert emitted == []
    assert written(lines)[0]["error"] == "BadRequest"
