"""SageMaker Runtime and S3 calls: real-time, asynchronous, and fetching async results."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError

from endpoint_invoker.invocation import ANSWER_HEADERS, Answer, BadRequest, Invocation
from endpoint_invoker.settings import InvokerSettings, MisconfiguredInvoker

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client
    from types_boto3_sagemaker_runtime import SageMakerRuntimeClient

NOT_FOUND = frozenset({"NoSuchKey", "404"})
DENIED = frozenset({"AccessDenied", "403"})


class RuntimeGateway:
    def __init__(
        self,
        runtime: SageMakerRuntimeClient,
        s3: Callable[[], S3Client],
        settings: InvokerSettings,
    ):
        """`s3` builds the S3 client on first use: real-time calls never need it, and building
        it would cost every cold start about 30 ms."""
        self._runtime = runtime
        self._s3 = s3
        self._settings = settings

    def invoke(self, invocation: Invocation) -> Answer:
        response = self._runtime.invoke_endpoint(
            EndpointName=self._settings.endpoint_name,
            Body=invocation.body,
            **_content_types(invocation),
            **invocation.options,
        )
        return Answer(
            200,
            response["Body"].read(),
            response.get("ContentType") or "application/octet-stream",
            {
                header: response[member]  # type: ignore[literal-required]
                for member, header in ANSWER_HEADERS.items()
                if response.get(member)
            },
        )

    def invoke_async(self, invocation: Invocation) -> Answer:
        bucket = self._async_bucket()
        key = f"{self._settings.async_input_prefix}{uuid.uuid4()}"
        self._s3().put_object(Bucket=bucket, Key=key, Body=invocation.body)
        # String options only (ASYNC_OPTIONS), though the call's other keyword arguments are ints.
        options: dict[str, Any] = {**_content_types(invocation), **invocation.options}
        response = self._runtime.invoke_endpoint_async(
            EndpointName=self._settings.endpoint_name,
            InputLocation=f"s3://{bucket}/{key}",
            **options,
        )
        return Answer.json(
            202,
            {
                "InferenceId": response["InferenceId"],
                "OutputLocation": response.get("OutputLocation"),
                "FailureLocation": response.get("FailureLocation"),
            },
        )

    def fetch_result(self, invocation: Invocation) -> Answer:
        """200 with the result, 424 with the failure, or 202 while neither exists yet."""
        output = self._read(invocation.output_location)
        if output is not None:
            return Answer(200, *output)
        failure = self._read(invocation.failure_location) if invocation.failure_location else None
        if failure is not None:
            return Answer(424, *failure, error_kind="AsyncInferenceFailed")
        return Answer.json(202, {"status": "pending", "OutputLocation": invocation.output_location})

    def _read(self, location: str | None) -> tuple[bytes, str] | None:
        bucket, key = self._result_object(location)
        try:
            response = self._s3().get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in NOT_FOUND:
                return None
            if code in DENIED and not self._exists(bucket, key):
                return None
            if code in DENIED:
                raise MisconfiguredInvoker(
                    f"the invoker's role may not read s3://{bucket}/{key}: grant s3:GetObject "
                    f"under {' and '.join(self._settings.async_result_prefixes)}"
                ) from None
            raise
        return response["Body"].read(), response.get("ContentType") or "application/octet-stream"

    def _exists(self, bucket: str, key: str) -> bool:
        """S3 answers GetObject of a missing key with 403 unless the caller may list the
        bucket; a result not written yet must still read as pending, so ask the listing (the
        role's s3:ListBucket is limited to the result prefixes)."""
        try:
            listing = self._s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in DENIED:
                raise MisconfiguredInvoker(
                    f"the invoker's role may not list s3://{bucket}/{key}: grant s3:ListBucket "
                    f"on the bucket for the prefixes "
                    f"{' and '.join(self._settings.async_result_prefixes)}"
                ) from None
            raise
        return any(item.get("Key") == key for item in listing.get("Contents", ()))

    def _result_object(self, location: str | None) -> tuple[str, str]:
        """Only results in this invoker's bucket, under its result prefixes, can be fetched."""
        parsed = urlparse(location or "")
        key = parsed.path.lstrip("/")
        allowed = parsed.scheme == "s3" and parsed.netloc == self._async_bucket()
        if not (allowed and key.startswith(self._settings.async_result_prefixes)):
            raise BadRequest(
                f"location must be s3://{self._settings.async_bucket}/ under "
                f"{' or '.join(self._settings.async_result_prefixes)}, got {location!r}"
            )
        return parsed.netloc, key

    def _async_bucket(self) -> str:
        if not self._settings.async_bucket:
            raise MisconfiguredInvoker("async mode is not configured: ASYNC_BUCKET is not set")
        return self._settings.async_bucket


def _content_types(invocation: Invocation) -> dict[str, str]:
    types = {"ContentType": invocation.content_type, "Accept": invocation.accept}
    return {name: value for name, value in types.items() if value}
