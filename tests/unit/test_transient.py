"""Which failures are transient, the pace a request keeps when it meets them, how that pace
travels in a hand-off, and the reason a request gives when the deadline comes first."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from endpoint_provider.failures import explain, timed_out
from endpoint_provider.request import AccountPace, Progress
from endpoint_provider.transient import (
    JITTER,
    MAX_SLOWDOWN,
    RECOVERY,
    Pace,
    is_throttled,
    is_transient,
    summary,
)


def aws_error(code: str, status: int, operation: str = "DescribeEndpoint") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


URL = "https://api.sagemaker.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    "error",
    [
        aws_error("ThrottlingException", 400),
        aws_error("Throttling", 400),
        aws_error("TooManyRequestsException", 400),
        aws_error("RequestLimitExceeded", 400),
        aws_error("SomethingNew", 429),
    ],
    ids=["ThrottlingException", "Throttling", "TooManyRequests", "RequestLimitExceeded", "429"],
)
def test_throttling_in_any_spelling_is_throttling_and_transient(error):
    assert is_throttled(error)
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        aws_error("InternalFailure", 500),
        aws_error("ServiceUnavailable", 503),
        aws_error("RequestTimeout", 400),
        EndpointConnectionError(endpoint_url=URL),
        ConnectTimeoutError(endpoint_url=URL),
        ReadTimeoutError(endpoint_url=URL),
        ConnectionClosedError(endpoint_url=URL),
    ],
    ids=["500", "503", "RequestTimeout", "connection", "connect-timeout", "read-timeout", "closed"],
)
def test_5xx_connection_errors_and_timeouts_are_transient_but_not_throttling(error):
    assert is_transient(error)
    assert not is_throttled(error)


@pytest.mark.parametrize(
    "error",
    [
        aws_error("ValidationException", 400),
        aws_error("AccessDeniedException", 400),
        aws_error("ResourceLimitExceeded", 400),
        NoCredentialsError(),
        TypeError("a bug"),
    ],
    ids=["validation", "access-denied", "quota", "no-credentials", "bug"],
)
def test_refusals_and_bugs_are_not_transient(error):
    assert not is_transient(error)
    assert not is_throttled(error)


def test_a_transient_failure_is_summed_up_by_its_call():
    assert summary(aws_error("ThrottlingException", 400, "UpdateEndpoint")) == (
        "UpdateEndpoint throttled"
    )
    assert summary(aws_error("InternalFailure", 500)) == (
        "DescribeEndpoint failed with InternalFailure"
    )
    assert summary(ReadTimeoutError(endpoint_url=URL)) == "AWS unreachable (ReadTimeoutError)"


# --- the pace ------------------------------------------------------------------------------------

PACE = Pace(5.0)


def test_each_transient_failure_doubles_the_interval_up_to_the_slowest_pace():
    # Given a request the account keeps throttling
    account = AccountPace()

    # When ten calls in a row are throttled
    intervals = []
    for _ in range(10):
        account = PACE.failed(account, aws_error("ThrottlingException", 400))
        intervals.append(account.interval)

    # Then the interval doubles each time, no further than MAX_SLOWDOWN times the configured one
    assert intervals == [min(5.0 * 2**n, 5.0 * MAX_SLOWDOWN) for n in range(1, 11)]
    assert account.throttled == 10
    assert account.failing == "DescribeEndpoint throttled"


def test_a_call_that_goes_through_brings_the_interval_back_a_step_and_clears_the_failure():
    # Given a request slowed to 40 s by throttling
    account = AccountPace(interval=40.0, throttled=3, failing="DescribeEndpoint throttled")

    # When calls go through again
    steps = [account := PACE.answered(account) for _ in range(30)]

    # Then the interval comes down a tenth at a time to the configured one (None), the count stays
    assert steps[0] == AccountPace(interval=40.0 * RECOVERY, throttled=3, failing=None)
    assert [step.interval for step in steps[:3]] == pytest.approx([36.0, 32.4, 29.16])
    assert steps[-1] == AccountPace(interval=None, throttled=3)


def test_failures_that_are_not_throttling_slow_down_without_counting():
    account = PACE.failed(AccountPace(), ConnectTimeoutError(endpoint_url=URL))
    assert account == AccountPace(
        interval=10.0, throttled=0, failing="AWS unreachable (ConnectTimeoutError)"
    )


@pytest.mark.parametrize("draw", [0.0, 0.25, 0.5, 0.99])
def test_a_pause_is_the_interval_stretched_by_up_to_the_jitter(draw):
    pause = PACE.pause(AccountPace(interval=20.0), draw)
    assert pause == pytest.approx(20.0 * (1 + JITTER * draw))
    assert 20.0 <= pause < 20.0 * (1 + JITTER)


# --- in a hand-off -------------------------------------------------------------------------------


def test_progress_carries_the_pace_through_json():
    # Given the progress of a throttled request
    progress = Progress(
        deadline=1_800_000_000.5,
        stage="await",
        invocation=3,
        last_poll=1_799_999_000.0,
        account=AccountPace(interval=20.0, throttled=7, failing="DescribeEndpoint throttled"),
    )

    # When it travels in a hand-off event, Then it arrives whole
    assert Progress.from_dict(json.loads(json.dumps(progress.to_dict()))) == progress


def test_progress_handed_off_by_an_earlier_version_is_read_at_the_configured_pace():
    # Given a hand-off event written before the provider kept a pace
    old = {
        "Deadline": 1_800_000_000.5,
        "Stage": "await",
        "Invocation": 2,
        "FailureReason": None,
        "LastPoll": 1_799_999_000.0,
    }

    # When read, Then it goes on at the configured interval, nothing counted
    assert Progress.from_dict(old).account == AccountPace()


# --- when the deadline comes first ---------------------------------------------------------------


def test_the_deadline_of_a_throttled_request_blames_the_rate_limit_with_the_count():
    reason = timed_out(
        "endpoint churn is Creating", AccountPace(interval=60.0, throttled=57, failing=None)
    )
    assert reason == (
        "timed out: endpoint churn is Creating; the account's SageMaker rate limit throttled 57 "
        "calls of this request (deploy fewer stacks at once, or raise the SageMaker API quotas)"
    )


def test_the_deadline_after_failures_that_were_not_throttling_says_what_kept_failing():
    reason = timed_out(
        None, AccountPace(interval=60.0, failing="AWS unreachable (ReadTimeoutError)")
    )
    assert reason.startswith("timed out: AWS unreachable (ReadTimeoutError), until the deadline")


def test_the_deadline_before_any_look_keeps_its_reason():
    assert timed_out(None, AccountPace()) == (
        "timed out before the next check (raise ServiceTimeout, at most 3600 s)"
    )


def test_a_throttled_call_that_escapes_is_still_explained_as_throttling():
    # Given throttling spelled the way CloudWatch spells it
    reason = explain(aws_error("Throttling", 400, "PutMetricAlarm"))
    assert reason == (
        "PutMetricAlarm refused: m (throttled after retries; retry the stack operation later)"
    )
