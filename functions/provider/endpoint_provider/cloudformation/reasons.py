"""Failure reasons within what CloudFormation shows: 256 characters, the log stream included,
and every invalid property's path kept when they do not all fit."""

from __future__ import annotations

from collections.abc import Sequence

from endpoint_provider.request import Failed

# crhelper replaces a reason longer than this with its last 240 characters, which would cut
# off the part that says what to fix.
REASON_LIMIT = 256
# Lambda names its log streams "YYYY/MM/DD/[$LATEST]" plus 32 hex digits (a published version
# in the brackets is shorter), so the suffix below never takes more than this.
LOG_STREAM_SUFFIX_ROOM = len(" (log stream 2026/11/22/[$LATEST]0123456789abcdef0123456789abcdef)")
INVALID_PROPERTIES = "Invalid properties: "
# Below this a cut message says nothing; the problem's path alone is more useful.
_SHORTEST_MESSAGE = 12
_CUT = "…"


def answer_reason(outcome: Failed, log_stream: str | None) -> str:
    """A FAILED outcome's reason within CloudFormation's 256 characters, the log stream
    included; invalid properties keep every path they can."""
    if outcome.problems:
        return reason_for_cloudformation(invalid_properties_reason(outcome.problems), log_stream)
    return reason_for_cloudformation(outcome.reason, log_stream)


def reason_for_cloudformation(message: str, log_stream: str | None) -> str:
    suffix = f" (log stream {log_stream})" if log_stream else ""
    room = REASON_LIMIT - len(suffix)
    if len(message) > room:
        message = message[: room - len(_CUT)].rstrip() + _CUT
    return message + suffix


def invalid_properties_reason(
    problems: Sequence[str], room: int = REASON_LIMIT - LOG_STREAM_SUFFIX_ROOM
) -> str:
    """Every problem ("path: message") within `room` characters, leaving space for the log
    stream: whole when they fit, else every path with its message shortened, else as many as
    fit and how many more the log holds (the provider logs the full list)."""
    whole = INVALID_PROPERTIES + "; ".join(problems)
    if len(whole) <= room:
        return whole
    split = [_split(problem) for problem in problems]
    for shown in range(len(split), 0, -1):
        more = f"; +{len(split) - shown} more in the log" if shown < len(split) else ""
        fitted = _shortened(split[:shown], room - len(INVALID_PROPERTIES) - len(more))
        if fitted is not None:
            return INVALID_PROPERTIES + fitted + more
    return (INVALID_PROPERTIES + f"{len(split)} problems, listed in the log")[:room]


def _split(problem: str) -> tuple[str, str]:
    path, separator, message = problem.partition(": ")
    return (path + separator, message) if separator else ("", problem)


def _shortened(problems: list[tuple[str, str]], room: int) -> str | None:
    """The problems joined within `room`, the longest messages cut first; None if even
    messages of _SHORTEST_MESSAGE characters do not fit."""
    fixed = sum(len(path) for path, _ in problems) + 2 * (len(problems) - 1)
    budget = room - fixed
    lengths = sorted(len(message) for _, message in problems)
    # The largest cap under which every message fits: short ones whole, the rest cut to it.
    cap, spent = 0, 0
    for index, length in enumerate(lengths):
        remaining = len(lengths) - index
        if spent + length * remaining <= budget:
            cap, spent = length, spent + length
        else:
            cap = (budget - spent) // remaining
            break
    if cap < min(_SHORTEST_MESSAGE, lengths[-1]):
        return None
    return "; ".join(path + _cut(message, cap) for path, message in problems)


def _cut(message: str, cap: int) -> str:
    return message if len(message) <= cap else message[: cap - len(_CUT)].rstrip() + _CUT
