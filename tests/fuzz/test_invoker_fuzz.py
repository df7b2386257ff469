"""Fuzzing the invoker's handler with hostile events of every shape (Hypothesis, fixed seed).

Whatever the event, the handler answers: no exception, an answer of the event's shape that the
Lambda runtime can serialise, and every 4xx/5xx a JSON error with a kind and a message. With
the runtime healthy and the invoker configured, nothing the caller sends may be a 5xx.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from endpoint_invoker.events import DIRECT_OPTIONS, DOORS, Shape, shape_of
from endpoint_invoker.invocation import PASS_THROUGH_HEADERS
from tests.fuzz.echo import BUCKET, EchoAws, echo_invoker, invoke
from tests.fuzz.figures import FIGURES
from tests.support.events import HTTP_DOOR_EVENTS, load_event

pytestmark = pytest.mark.usefixtures("generation_independent_of_loaded_code")

EXAMPLES = 600
READY = "ready.out"

# Text as JSON can carry it: any code point, lone surrogates included (a JSON "\ud800").
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=12)
hostile_text = st.one_of(
    any_text,
    st.sampled_from(
        [
            "",
            "a\r\nX-Injected: 1",
            "\n",
            "\ud800",
            "caf\udc80",
            "a" * 100 * 1024,
            f"s3://{BUCKET}/async-output/{READY}",
            f"s3://{BUCKET}/async-output/not-yet.out",
            f"s3://{BUCKET}/async-output/\r\n",
            "not base64!",
            "QUJD",
            "application/json",
            "text/csv",
            "AllTraffic",
            "async",
            "result",
        ]
    ),
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile_text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def direct_events(draw: st.DrawFn) -> Any:
    fields = [
        "body", "bodyBase64", "contentType", "accept", "mode", "outputLocation",
        "failureLocation", *DIRECT_OPTIONS, "unexpected",
    ]  # fmt: skip
    chosen = draw(st.lists(st.sampled_from(fields), unique=True, max_size=5))
    event = {name: draw(json_values) for name in chosen}
    # Mostly well-formed too, so that the async and result paths are reached, not only the
    # checks at the door.
    nearly_valid = {
        "body": draw(json_values),
        "mode": draw(st.sampled_from(["realtime", "async"])),
        **{
            name: draw(st.sampled_from(["req-1", "trace=1"]) | hostile_text)
            for name in draw(st.lists(st.sampled_from(["inferenceId", "customAttributes"])))
        },
    }
    result = {
        "mode": "result",
        "outputLocation": draw(hostile_text),
        "failureLocation": draw(st.none() | hostile_text),
    }
    return draw(st.sampled_from([event, nearly_valid, result]) | json_values)


@st.composite
def http_events(draw: st.DrawFn) -> dict[str, Any]:
    event = load_event(draw(st.sampled_from(HTTP_DOOR_EVENTS)))
    door = DOORS[shape_of(event)]
    header_names = st.sampled_from(
        ["content-type", "accept", "x-invocation-mode", "x-amzn-trace-id", *PASS_THROUGH_HEADERS]
    )
    # Values as the doors send them (a string, or a list of strings), and hostile ones.
    values = json_values | st.lists(hostile_text, min_size=1, max_size=3)
    headers = st.dictionaries(header_names | any_text, values, max_size=4)
    query = st.dictionaries(
        st.sampled_from(["mode", "location", "failureLocation", "stream"]), values, max_size=3
    )
    replacements = {
        door.headers: headers | json_values,
        door.query: query | json_values,
        "body": json_values,
        door.base64_flag: st.booleans() | json_values,
    }
    for name in draw(st.lists(st.sampled_from(sorted(replacements)), unique=True)):
        event[name] = draw(replacements[name])
    method = draw(st.sampled_from(["POST", "GET", "PUT"]) | json_values)
    where = event
    for part in door.method[:-1]:
        where = where[part]
    where[door.method[-1]] = method
    if "requestId" in event.get("requestContext", {}) and draw(st.booleans()):
        event["requestContext"]["requestId"] = draw(json_values)
    return event


def check_answer(event: Any, response: dict[str, Any]) -> int:
    """The answer has the event's shape and survives the runtime's serialisation; errors say
    what they are. Returns the status."""
    # As Lambda's Python runtime serialises it: a lone surrogate would fail here.
    json.dumps(response, ensure_ascii=False).encode("utf-8")
    status = response["statusCode"]
    assert isinstance(status, int) and 200 <= status <= 599
    if shape_of(event) is Shape.DIRECT:
        assert isinstance(response["contentType"], str)
        payload = response.get("body")
        if "bodyBase64" in response:
            base64.b64decode(response["bodyBase64"], validate=True)
    else:
        # Each door's own response format: ALB with multi-value headers reads only those.
        door = DOORS[shape_of(event)]
        headers = "multiValueHeaders" if door.multi_value_answer else "headers"
        expected = {"statusCode", headers, "body", "isBase64Encoded"}
        if door.status_description:
            expected.add("statusDescription")
        assert set(response) == expected
        values = response[headers].values()
        if door.multi_value_answer:
            values = [item for value in values for item in value]
        assert all(isinstance(value, str) for value in values)
        assert isinstance(response["body"], str)
        payload = response["body"]
    if status >= 400:
        payload = json.loads(payload) if isinstance(payload, str) else payload
        assert isinstance(payload, dict), response
        assert payload["error"] and isinstance(payload["error"], str)
        assert payload["message"] and isinstance(payload["message"], str)
    return status


@pytest.fixture(scope="module")
def fuzzed_app():
    aws = EchoAws()
    aws.objects[f"async-output/{READY}"] = b'{"done": true}'
    return echo_invoker(aws)


@seed(20261130)
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(event=st.one_of(direct_events(), http_events()))
def test_every_hostile_event_gets_a_clear_answer_in_its_shape(fuzzed_app, event):
    figures = FIGURES["invoker"]
    figures["inputs"] += 1
    figures[f"shape {shape_of(event)}"] += 1
    try:
        response = invoke(fuzzed_app, event)
    except Exception:
        figures["crashes"] += 1
        raise
    try:
        status = check_answer(event, response)
        # The runtime answers and the invoker is configured: a 5xx would be the invoker's fault.
        assert status < 500, response
    except (AssertionError, KeyError, TypeError, ValueError):
        figures["unclear"] += 1
        raise
    figures[f"status {status}"] += 1
