"""The one place AWS clients are configured and built.

Clients are built lazily, once per execution environment, and handed to the code that uses
them. Building them touches no network, so importing this module is free.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Literal

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    # Stubs only (requirements-dev.txt): the layer ships no types-boto3.
    from types_boto3_application_autoscaling import ApplicationAutoScalingClient
    from types_boto3_cloudwatch import CloudWatchClient
    from types_boto3_lambda import LambdaClient
    from types_boto3_s3 import S3Client
    from types_boto3_sagemaker import SageMakerClient
    from types_boto3_sagemaker_runtime import SageMakerRuntimeClient


RetryMode = Literal["standard", "adaptive"]


def botocore_config(
    read_timeout: float,
    max_attempts: int,
    retry_mode: RetryMode = "adaptive",
    connect_timeout: float = 5,
) -> Config:
    """The one client configuration. Adaptive retries absorb SageMaker's rate limits (the
    provider's control-plane calls when many stacks deploy at once); a caller with one retry
    to spend may take "standard", which backs off a throttled call alike without adaptive's
    per-call rate-limiter bookkeeping. The read timeout keeps one stuck connection inside the
    function's timeout; keep-alive and a pool reuse connections across warm invocations."""
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"mode": retry_mode, "total_max_attempts": max_attempts},
        tcp_keepalive=True,
        max_pool_connections=10,
    )


class AwsClients:
    """Clients for one execution environment; `AWS_ENDPOINT_URL` redirects them to local AWS."""

    def __init__(self, config: Config, session: boto3.session.Session | None = None):
        self._config = config
        self._session = session or boto3.session.Session()

    @cached_property
    def sagemaker(self) -> SageMakerClient:
        return self._session.client("sagemaker", config=self._config)

    @cached_property
    def sagemaker_runtime(self) -> SageMakerRuntimeClient:
        return self._session.client("sagemaker-runtime", config=self._config)

    @cached_property
    def application_autoscaling(self) -> ApplicationAutoScalingClient:
        return self._session.client("application-autoscaling", config=self._config)

    @cached_property
    def cloudwatch(self) -> CloudWatchClient:
        return self._session.client("cloudwatch", config=self._config)

    @cached_property
    def lambda_(self) -> LambdaClient:
        return self._session.client("lambda", config=self._config)

    @cached_property
    def s3(self) -> S3Client:
        return self._session.client("s3", config=self._config)
