"""Failure reasons that fit what CloudFormation shows and crhelper sends."""

# crhelper replaces a reason longer than this with its last 240 characters, which would cut
# off the part that says what to fix.
REASON_LIMIT = 256


def reason_for_cloudformation(message: str, log_stream: str | None) -> str:
    suffix = f" (log stream {log_stream})" if log_stream else ""
    room = REASON_LIMIT - len(suffix)
    if len(message) > room:
        message = message[: room - 3].rstrip() + "..."
    return message + suffix
