"""Tracing costs a cold start only where it traces."""

from __future__ import annotations

import pytest

from endpoint_common import observability


@pytest.mark.parametrize(
    ("environment", "traced"),
    [
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
        ({}, False),
    ],
)
def test_tracing_follows_powertools_rule(monkeypatch, environment, traced):
    for variable in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert observability.tracing_enabled() is traced


def test_the_untraced_stand_in_leaves_handlers_unchanged():
    untraced = observability.Untraced()

    def handler(event, context):
        return event

    assert untraced.capture_lambda_handler(handler) is handler
    assert untraced.capture_lambda_handler(capture_response=False)(handler) is handler
    assert untraced.capture_method(handler) is handler


@pytest.mark.parametrize(
    ("header", "sampled"),
    [
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", True),
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0", False),
        ("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Lineage=a87bd80c:0", True),
        (None, False),
    ],
)
def test_the_sampling_decision_is_lambdas_trace_header_for_the_invocation(
    monkeypatch, header, sampled
):
    # Given the trace header the Lambda runtime set for the invocation (or none)
    monkeypatch.delenv("_X_AMZN_TRACE_ID", raising=False)
    if header:
        monkeypatch.setenv("_X_AMZN_TRACE_ID", header)

    # Then the decision is the header's
    assert observability.sampled() is sampled
    assert observability.trace_header() == (header or "")
