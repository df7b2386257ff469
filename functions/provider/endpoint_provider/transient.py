"""Failures that say "not now" rather than "no", and the pace a request keeps when it meets
them: the account's SageMaker rate limit is shared by every stack that deploys at once, so a
provider that is throttled looks less often, and more often again once its calls go through.

Pure: which errors are transient is botocore's own classification (the one its retries use),
and the pace is arithmetic on the interval the request carries in its Progress.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from botocore.exceptions import BotoCoreError, ClientError
from botocore.retries.standard import (
    RetryContext,
    ThrottledRetryableChecker,
    TransientRetryableChecker,
)

from endpoint_provider.request import AccountPace

# A throttled provider still looks at least this often, relative to the configured interval:
# every 60 s at the default 5 s (SageMaker's own waiters look every 30 s), so that a request
# learns of its endpoint within a minute once the account is quiet again.
MAX_SLOWDOWN = 12.0
# Each call that goes through shortens the interval by a tenth; each transient failure doubles
# it. Halving on success would send every provider of a busy account back to the configured
# interval at once, to be throttled together again.
RECOVERY = 0.9
# Each pause is the interval stretched by up to this fraction, at random, so that stacks
# deployed together stop calling in the same instant; never shorter, so that a provider never
# looks more often than it is configured to.
JITTER = 0.1
# HTTP 429 is throttling whatever the error code says.
_TOO_MANY_REQUESTS = 429

_THROTTLED = ThrottledRetryableChecker()
_TRANSIENT = TransientRetryableChecker()


class _Status:
    """The HTTP status of a ClientError, where botocore's checkers look for it."""

    def __init__(self, status_code: int | None):
        self.status_code = status_code


def _context(error: Exception) -> RetryContext:
    if isinstance(error, ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return RetryContext(
            attempt_number=1, parsed_response=dict(error.response), http_response=_Status(status)
        )
    return RetryContext(attempt_number=1, caught_exception=error)


def is_throttled(error: Exception) -> bool:
    if not isinstance(error, ClientError):
        return False
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status == _TOO_MANY_REQUESTS or _THROTTLED.is_retryable(_context(error))


def is_transient(error: Exception) -> bool:
    """Throttling, a 5xx, a connection error or a timeout: the same call may well succeed
    later. Anything else (a refusal, a bug) would fail the same way again."""
    if not isinstance(error, ClientError | BotoCoreError):
        return False
    return is_throttled(error) or _TRANSIENT.is_retryable(_context(error))


def summary(error: Exception) -> str:
    """A transient failure in a few words, for the log and the deadline's reason."""
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code") or "an error"
        verb = "throttled" if is_throttled(error) else f"failed with {code}"
        return f"{error.operation_name} {verb}"
    return f"AWS unreachable ({type(error).__name__})"


@dataclass(frozen=True)
class Pace:
    """How often a request looks at SageMaker: the configured interval while the account
    answers, up to MAX_SLOWDOWN times longer while it does not."""

    base: float

    @property
    def ceiling(self) -> float:
        return self.base * MAX_SLOWDOWN

    def interval(self, account: AccountPace) -> float:
        return account.interval or self.base

    def answered(self, account: AccountPace) -> AccountPace:
        """After a call that went through: a step back towards the configured interval."""
        interval = max(self.base, self.interval(account) * RECOVERY)
        return replace(account, interval=interval if interval > self.base else None, failing=None)

    def failed(self, account: AccountPace, error: Exception) -> AccountPace:
        """After a transient failure: twice as long a pause, and the failure remembered for
        the reason, should the deadline come first."""
        interval = min(self.ceiling, self.interval(account) * 2)
        return replace(
            account,
            interval=interval,
            throttled=account.throttled + int(is_throttled(error)),
            failing=summary(error),
        )

    def pause(self, account: AccountPace, draw: float) -> float:
        """The pause before the next look; `draw` is uniform in [0, 1)."""
        return self.interval(account) * (1 + JITTER * draw)
