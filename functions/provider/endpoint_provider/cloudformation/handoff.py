"""Hands an unfinished request to a fresh invocation of the same function."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types_boto3_lambda import LambdaClient

PROGRESS_KEY = "ProviderProgress"


class LambdaContinuation:
    def __init__(self, lambda_client: LambdaClient):
        self._lambda = lambda_client

    def schedule(self, function_arn: str, event: dict[str, Any]) -> None:
        # An asynchronous invoke returns at once; Lambda retries it on failure, which the
        # idempotent stages tolerate.
        self._lambda.invoke(
            FunctionName=function_arn,
            InvocationType="Event",
            Payload=json.dumps(event).encode(),
        )
