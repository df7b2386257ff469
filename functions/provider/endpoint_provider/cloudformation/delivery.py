"""Delivers a response to CloudFormation's presigned ResponseURL, within the time left.

crhelper 2.0.12 sends with no socket timeout (a hanging PUT outlives the invocation), treats a
5xx from S3 as delivered, and retries a refused connection forever. Here every attempt has a
timeout, 5xx and connection errors are retried with backoff while the invocation has time, and
the attempts stop when it has none. A repeated PUT of the same body is safe: the URL names one
S3 object, and CloudFormation reads what it holds.

The URL is a credential for that object: it is never logged, nor is its host.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from endpoint_common.observability import logger

# One attempt never waits longer than this for S3; a healthy PUT takes milliseconds.
ATTEMPT_TIMEOUT_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 4.0
# Below this, an attempt cannot complete a TLS handshake and a PUT; stop instead.
MIN_ATTEMPT_SECONDS = 0.05


@dataclass
class DeliveryTiming:
    """How long attempts and pauses may last; tests shorten them."""

    attempt_timeout: float = ATTEMPT_TIMEOUT_SECONDS
    first_backoff: float = FIRST_BACKOFF_SECONDS
    max_backoff: float = MAX_BACKOFF_SECONDS


class ResponseDelivery:
    def __init__(
        self,
        timing: DeliveryTiming | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.timing = timing or DeliveryTiming()
        self._clock = clock
        self._sleep = sleep

    def deliver(self, url: str, body: dict[str, Any], seconds_left: float) -> bool:
        """PUTs `body` until S3 accepts it or `seconds_left` is spent; True once accepted."""
        payload = json.dumps(body).encode()
        deadline = self._clock() + seconds_left
        backoff = self.timing.first_backoff
        attempt = 0
        while True:
            attempt += 1
            timeout = min(self.timing.attempt_timeout, deadline - self._clock())
            if timeout < MIN_ATTEMPT_SECONDS:
                break
            outcome = self._attempt(url, payload, timeout)
            if outcome is None:
                logger.info("response delivered", status=body.get("Status"), attempts=attempt)
                return True
            retryable, why = outcome
            logger.warning("response not delivered", attempt=attempt, cause=why)
            if not retryable or self._clock() + backoff + MIN_ATTEMPT_SECONDS >= deadline:
                break
            self._sleep(backoff)
            backoff = min(backoff * 2, self.timing.max_backoff)
        logger.error(
            "response to CloudFormation lost: no time left to retry", status=body.get("Status")
        )
        return False

    @staticmethod
    def _attempt(url: str, payload: bytes, timeout: float) -> tuple[bool, str] | None:
        """None when delivered; otherwise whether a retry can help, and why it failed."""
        parts = urlsplit(url)
        path = urlunsplit(("", "", parts.path, parts.query, ""))
        # The default context honours SSL_CERT_FILE, as crhelper's does.
        connection = http.client.HTTPSConnection(
            parts.netloc, timeout=timeout, context=ssl.create_default_context()
        )
        try:
            connection.request(
                "PUT",
                path,
                body=payload,
                # S3 checks the presigned signature against an empty content type.
                headers={"content-type": "", "content-length": str(len(payload))},
            )
            status = connection.getresponse().status
        except (OSError, http.client.HTTPException) as error:
            return True, type(error).__name__
        finally:
            connection.close()
        if 200 <= status < 300:
            return None
        # 5xx: S3 had trouble, the same PUT may pass. 4xx: expired or altered URL, it never will.
        return status >= 500, f"HTTP {status}"
