"""The one place AWS clients are configured and built.

Clients are built lazily, once per execution environment, and handed to the code that uses
them. Building them touches no network, so importing this module is free.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config

# Adaptive retries absorb SageMaker's low control-plane rate limits when many stacks deploy
# at once; the timeouts keep one stuck connection from eating a whole Lambda invocation.
BOTOCORE_CONFIG = Config(
    connect_timeout=5,
    read_timeout=60,
    retries={"mode": "adaptive", "max_attempts": 10},
    tcp_keepalive=True,
    max_pool_connections=10,
)


class AwsClients:
    """Clients for one execution environment; `AWS_ENDPOINT_URL` redirects them to local AWS."""

    def __init__(self, session: boto3.session.Session | None = None, **client_kwargs: Any):
        self._session = session or boto3.session.Session()
        self._client_kwargs = client_kwargs

    def _client(self, service: str) -> Any:
        return self._session.client(service, config=BOTOCORE_CONFIG, **self._client_kwargs)

    @cached_property
    def sagemaker(self) -> Any:
        return self._client("sagemaker")

    @cached_property
    def sagemaker_runtime(self) -> Any:
        return self._client("sagemaker-runtime")

    @cached_property
    def application_autoscaling(self) -> Any:
        return self._client("application-autoscaling")

    @cached_property
    def cloudwatch(self) -> Any:
        return self._client("cloudwatch")

    @cached_property
    def lambda_(self) -> Any:
        return self._client("lambda")

    @cached_property
    def s3(self) -> Any:
        return self._client("s3")
