"""JSON for payloads, both ways. Pure.

orjson writes a 1 MB document about ten times faster than the standard library and reads one
two to three times faster (bench/RESULTS.md). Where orjson would refuse a document, or change
what it means, the standard library does the work, so a payload means what it meant:
integers beyond 64 bits (orjson refuses to write them and reads them as floats), lone
surrogates (`"\\ud800"`), NaN and Infinity in a model's answer, nesting deeper than 254.
orjson writes compact JSON (no spaces after separators); NaN and Infinity in a request
document, which JSON has no words for, become null.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# 19 digits in a row may be an integer beyond 64 bits (or just a long fraction, then read the
# slow way for nothing). Found by turning every digit into "0" and searching for 19 of them: a
# few milliseconds for 1 MB, where the regular expression \d{19} takes tens.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 19


def dumps(document: Any) -> bytes:
    try:
        return orjson.dumps(document)
    except TypeError:
        return json.dumps(document).encode()


def loads(data: bytes) -> Any:
    """The document in `data`, UTF-8 JSON; ValueError when it is not."""
    if _LONG_NUMBER not in data.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data.decode())
