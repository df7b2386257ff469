"""`make demo` (`python -m localaws.demo`, in a subprocess) plays example stacks end to end on
the embedded local AWS."""

from __future__ import annotations

import json
from functools import cache

import pytest

from tests.support.demo import ROOT, SIMULATED, play

DEFAULT_EXAMPLE = "realtime-endpoint.yaml"
# Waits of 1.2 s against invocations that must hand off once 0.9 s have passed (a 30 s timeout
# less a 29 s margin, less one 0.1 s poll), so each create and update spans exactly two
# invocations; on the simulated clock machine speed cannot change that.
HANDING_OFF = [*SIMULATED, "--create-seconds", "1.2", "--update-seconds", "1.2"]
HANDING_OFF += ["--delete-seconds", "0.1", "--poll-interval", "0.1"]
HANDING_OFF += ["--lambda-timeout", "30", "--handoff-margin", "29"]
# `make demo` itself runs on the wall clock: quick timings, and invocations long enough that
# no wait has to continue in a fresh one however busy the machine is.
WALL_CLOCK = ["--create-seconds", "0.3", "--update-seconds", "0.3", "--delete-seconds", "0.1"]
WALL_CLOCK += ["--poll-interval", "0.05", "--lambda-timeout", "60", "--handoff-margin", "1"]
# One example shows the provider's log lines for every request, as `make demo
# DEMO_ARGS=--verbose` does.
VERBOSE_EXAMPLE = "serverless-endpoint.yaml"
# What the subprocess plays: the default example as `make demo` plays it, and those whose events
# the tests below read, each once per session. tests/iam/test_recorded_calls.py plays every
# example in-process to the end with the same checks, so the others need no subprocess here.
LLM_EXAMPLE = "llm-inference-components.yaml"
SCALE_TO_ZERO_EXAMPLE = "llm-scale-to-zero.yaml"
PLAYED = [
    DEFAULT_EXAMPLE,
    VERBOSE_EXAMPLE,
    "blue-green-canary.yaml",
    "async-scale-to-zero.yaml",
    LLM_EXAMPLE,
    SCALE_TO_ZERO_EXAMPLE,
]


@cache
def played(name):
    """Each example played once per session, for the tests that read its events."""
    if name == DEFAULT_EXAMPLE:
        return play(ROOT / "examples" / name, WALL_CLOCK)
    verbose = ["--verbose"] if name == VERBOSE_EXAMPLE else []
    return play(ROOT / "examples" / name, [*SIMULATED, *verbose])


def lines_with(result, *words):
    return [n for n, line in enumerate(result.stdout.splitlines()) if all(w in line for w in words)]


@pytest.mark.parametrize("example", PLAYED, ids=lambda name: name.removesuffix(".yaml"))
def test_make_demo_plays_the_example_to_the_end(example):
    # When `python -m localaws.demo` deploys, updates and deletes the example stack (the default
    # one as `make demo` plays it, in real time)
    result = played(example)

    # Then every step ended as CloudFormation needs, and nothing was left behind
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CREATE_COMPLETE" in result.stdout
    assert "DELETE_COMPLETE" in result.stdout
    assert "nothing left in SageMaker" in result.stdout
    # And the new endpoint answered through the invoker
    assert "invoke" in result.stdout and " -> 200 " in result.stdout


def test_the_demo_continues_long_waits_in_fresh_invocations():
    # When the default example plays with invocations shorter than each wait
    result = play(ROOT / "examples" / DEFAULT_EXAMPLE, HANDING_OFF)

    # Then it still passes, the create and both updates spanning exactly two invocations each
    # and the deletes one
    assert result.returncode == 0, result.stdout + result.stderr
    completions = [line for line in result.stdout.splitlines() if "_COMPLETE  " in line]
    invocations = [line.rsplit("s, ", 1)[1] for line in completions if "invocation(s)" in line]
    assert invocations == ["2 invocation(s))"] * 3 + ["1 invocation(s))"] * 2
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in result.stdout


def test_the_canary_alarm_fires_during_the_update_it_rolls_back():
    # When the blue/green example's second update meets its alarm
    result = played("blue-green-canary.yaml")

    # Then the alarm goes off after that update started, and the update fails, then rolls back
    assert result.returncode == 0, result.stdout + result.stderr
    (alarm,) = lines_with(result, "ErrorAlarm", "alarm ALARM")
    started = lines_with(result, "ChurnEndpoint", "UPDATE_IN_PROGRESS")
    (failed,) = lines_with(result, "ChurnEndpoint", "UPDATE_FAILED")
    (rolled_back,) = lines_with(result, "UPDATE_ROLLBACK_COMPLETE  ")
    assert started[1] < alarm < failed < rolled_back


def test_the_async_receipt_is_shown_whole():
    # When the async example calls its endpoint
    result = played("async-scale-to-zero.yaml")

    # Then the receipt line holds both S3 locations to their end
    assert result.returncode == 0, result.stdout + result.stderr
    (receipt,) = [line for line in result.stdout.splitlines() if "invoke async" in line]
    body = json.loads(receipt.split(" -> 202 ", 1)[1])
    assert body["OutputLocation"].startswith("s3://") and body["OutputLocation"].endswith(".out")
    assert body["FailureLocation"].startswith("s3://") and body["FailureLocation"].endswith(
        ".error"
    )


def test_verbose_shows_the_provider_log_of_requests_that_succeed():
    # When an example plays with --verbose
    result = played(VERBOSE_EXAMPLE)

    # Then the provider's lines come before each of its answers, without a traceback
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    (created,) = lines_with(result, "CREATE_COMPLETE", "invocation(s)")
    assert any("| INFO    request succeeded" in line for line in lines[:created])
    assert "Traceback" not in result.stdout + result.stderr


def test_two_llms_share_one_gpu_endpoint_update_and_leave_one_by_one():
    # When the inference-component example plays
    result = played(LLM_EXAMPLE)

    # Then both components are created after their endpoint, and each answers by its name
    assert result.returncode == 0, result.stdout + result.stderr
    (endpoint,) = lines_with(result, "GpuEndpoint", "CREATE_COMPLETE")
    (chat,) = lines_with(result, "ChatModel", "CREATE_COMPLETE", ":inference-component/")
    (code,) = lines_with(result, "CodeModel", "CREATE_COMPLETE", ":inference-component/")
    assert endpoint < chat < code
    assert len(lines_with(result, "invoke churn-demo-", "(Function URL) -> 200")) == 2
    # And the chat model's new artifact rolls out in place, under the same physical ID
    (updated,) = lines_with(result, "ChatModel", "UPDATE_COMPLETE")
    assert (
        result.stdout.splitlines()[updated].split()[4]
        == (result.stdout.splitlines()[chat].split()[4])
    )
    # And the code model, removed from the template, goes in the update's clean-up, before
    # the chat model and the endpoint go with the stack
    (removed,) = lines_with(result, "CodeModel", "DELETE_COMPLETE")
    (chat_gone,) = lines_with(result, "ChatModel", "DELETE_COMPLETE")
    (endpoint_gone,) = lines_with(result, "GpuEndpoint", "DELETE_COMPLETE")
    assert updated < removed < chat_gone < endpoint_gone
    assert "nothing left in SageMaker" in result.stdout


def test_gpus_go_away_with_the_traffic_and_come_back_for_the_next_request():
    # When the scale-to-zero example plays its traffic on simulated time
    result = played(SCALE_TO_ZERO_EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    timeline = [line.split("min  ", 1)[1] for line in result.stdout.splitlines() if "t+" in line]

    # Then copies, and instances with them, scale out under traffic
    assert "instances 2, copies 3 (desired 3)" in timeline
    # And both reach zero once traffic stops
    zero = timeline.index("instances 0, copies 0 (desired 0)")
    # And a request at zero is told to come back, while the alarm brings a copy back
    assert timeline[zero + 1].endswith("-> 503 (Retry-After: 60)"), timeline
    back = timeline[zero + 2 :]
    assert any(line.startswith("instances 1, copies 1") for line in back), back
    # And the next request is served, and the delete leaves nothing
    assert timeline[-2].endswith("-> 200") or any(line.endswith("-> 200") for line in back)
    assert "nothing left in SageMaker" in result.stdout
