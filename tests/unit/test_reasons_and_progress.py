"""Failure reasons fit CloudFormation; progress survives the trip to the next invocation."""

from __future__ import annotations

import json

from endpoint_provider.cloudformation.reasons import (
    LOG_STREAM_SUFFIX_ROOM,
    REASON_LIMIT,
    invalid_properties_reason,
    reason_for_cloudformation,
)
from endpoint_provider.request import Progress

LOG_STREAM = "2026/11/22/[$LATEST]0123456789abcdef0123456789abcdef"


def test_short_reasons_keep_every_word_and_name_the_log_stream():
    reason = reason_for_cloudformation("ProductionVariants[0].InstanceType: required", LOG_STREAM)
    assert reason == f"ProductionVariants[0].InstanceType: required (log stream {LOG_STREAM})"


def test_long_reasons_keep_their_beginning_within_the_limit():
    # Given a reason longer than crhelper passes on intact
    message = "Invalid properties: " + "; ".join(f"P{n}: must be >= 1" for n in range(40))

    # When fitted
    reason = reason_for_cloudformation(message, LOG_STREAM)

    # Then it starts with what to fix, ends with the log stream, and fits
    assert len(reason) <= REASON_LIMIT
    assert reason.startswith("Invalid properties: P0: must be >= 1")
    assert reason.endswith(f"(log stream {LOG_STREAM})")


# Three typical newcomer mistakes, as the property model reports them.
THREE_MISTAKES = [
    "PrimaryContainer.ModelDataUrl: must be an s3:// or https:// URL, got 'ftp://models/v1'",
    "ProductionVariants[0].InitialInstanceCount: must be >= 1",
    "ProductionVariants[0].InstanceTyp: unknown property (did you mean InstanceType?)",
]


def test_the_log_stream_suffix_never_takes_more_than_its_reserved_room():
    assert len(reason_for_cloudformation("", LOG_STREAM)) == LOG_STREAM_SUFFIX_ROOM


def test_a_few_short_problems_are_reported_whole():
    problems = ["ProductionVariants[0].InstanceType: required", "Tags[0].Key: required"]

    reason = invalid_properties_reason(problems)

    assert reason == "Invalid properties: " + "; ".join(problems)


def test_three_mistakes_keep_every_path_within_the_limit_with_the_log_stream():
    # Given three problems whose full text is longer than CloudFormation's reason can hold
    assert len("; ".join(THREE_MISTAKES)) + LOG_STREAM_SUFFIX_ROOM > REASON_LIMIT

    # When the provider's reason is built and the log stream appended
    reason = reason_for_cloudformation(invalid_properties_reason(THREE_MISTAKES), LOG_STREAM)

    # Then every path is there, in order, short messages whole, and the log stream ends it
    assert len(reason) <= REASON_LIMIT
    paths = [problem.split(": ")[0] for problem in THREE_MISTAKES]
    positions = [reason.index(f"{path}: ") for path in paths]
    assert positions == sorted(positions)
    assert "InitialInstanceCount: must be >= 1;" in reason
    assert "…" in reason and "more in the log" not in reason
    assert reason.endswith(f"(log stream {LOG_STREAM})")


def test_too_many_problems_say_how_many_more_the_log_holds():
    # Given more problems than their paths alone could list
    problems = [f"ProductionVariants[{n}].InitialInstanceCount: must be >= 1" for n in range(9)]

    # When fitted
    reason = invalid_properties_reason(problems)

    # Then the first ones are whole, and the rest are counted
    assert len(reason) <= REASON_LIMIT - LOG_STREAM_SUFFIX_ROOM
    assert reason.startswith("Invalid properties: ProductionVariants[0].InitialInstanceCount: ")
    shown = reason.count("InitialInstanceCount: must be >= 1")
    assert 0 < shown < len(problems)
    assert reason.endswith(f"; +{len(problems) - shown} more in the log")


def test_progress_round_trips_through_json():
    progress = Progress(deadline=1_800_000_000.5, stage="await", invocation=3, failure_reason="x")
    assert Progress.from_dict(json.loads(json.dumps(progress.to_dict()))) == progress
