"""Payload JSON is fast where it can be and means the same everywhere."""

from __future__ import annotations

import json
import math

import pytest

from endpoint_invoker import codec


def test_a_document_is_written_compactly_and_reads_back_the_same():
    document = {"instances": [[0.3125, 12, 1, 0]], "name": "café"}
    assert codec.dumps(document) == '{"instances":[[0.3125,12,1,0]],"name":"café"}'.encode()
    assert codec.loads(codec.dumps(document)) == document


@pytest.mark.parametrize("document", [{"id": 2**70}, ["\ud800"], {"deep": [[[[[[]]]]]] * 2}])
def test_what_orjson_refuses_to_write_is_written_as_json_would(document):
    assert json.loads(codec.dumps(document)) == json.loads(json.dumps(document))


def test_integers_beyond_64_bits_in_an_answer_keep_every_digit():
    # orjson alone would read this as 1.2345678901234568e+29
    assert codec.loads(b'{"id": 123456789012345678901234567890}') == {
        "id": 123456789012345678901234567890
    }


def test_what_only_pythons_json_reads_is_still_read():
    assert codec.loads(b'["\\ud800"]') == ["\ud800"]
    assert math.isnan(codec.loads(b"NaN"))


def test_bytes_that_are_not_json_raise_value_error():
    for data in (b"{truncated", b"\xff\xfe"):
        with pytest.raises(ValueError):
            codec.loads(data)
