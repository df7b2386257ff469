"""Failure reasons fit CloudFormation; progress survives the trip to the next invocation."""

from __future__ import annotations

import json

from endpoint_provider.lifecycle import Progress
from endpoint_provider.reasons import REASON_LIMIT, reason_for_cloudformation

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


def test_progress_round_trips_through_json():
    progress = Progress(deadline=1_800_000_000.5, stage="await", invocation=3, failure_reason="x")
    assert Progress.from_dict(json.loads(json.dumps(progress.to_dict()))) == progress
