"""Plays CloudFormation, and the Lambda service around the provider, on this machine.

Requests are built as CloudFormation builds them (every scalar property a string), delivered
to the handler in-process with a Lambda-like context, and answered over HTTPS to a presigned-
style ResponseURL served here, so the provider's real response path (crhelper's
HTTPSConnection) is what the tests and the demo observe.
"""

from __future__ import annotations

import json
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import trustme

from localaws.functions import ACCOUNT_ID, REGION, LambdaContext, function_arn


def cloudformation_strings(value: Any) -> Any:
    """CloudFormation hands custom resources every scalar as a string; lists and maps keep
    their shape."""
    if isinstance(value, dict):
        return {key: cloudformation_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [cloudformation_strings(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class Response:
    """One response as CloudFormation received it at the ResponseURL."""

    body: dict[str, Any]
    size: int
    seconds: float = 0.0
    invocations: int = 0

    @property
    def status(self) -> str:
        return self.body["Status"]

    @property
    def physical_id(self) -> str:
        return self.body["PhysicalResourceId"]

    @property
    def reason(self) -> str:
        return self.body.get("Reason", "")

    @property
    def data(self) -> dict[str, Any]:
        return self.body.get("Data") or {}


class ResponseCollector:
    """An HTTPS server standing in for the presigned S3 URLs CloudFormation hands out."""

    def __init__(self) -> None:
        self._responses: dict[str, list[Response]] = {}
        self._lock = threading.Lock()
        # Transport faults for the next PUTs, in order (see `inject`); PUTs seen per request.
        self._faults: list[str] = []
        self._attempts: dict[str, int] = {}
        self._release = threading.Event()
        self._folder = tempfile.TemporaryDirectory(prefix="localaws-cfn-")
        self.ca_file = str(Path(self._folder.name) / "cert.pem")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._request_handler())
        self._server.socket = self._tls_context().wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ResponseCollector:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._folder.cleanup()

    def url_for(self, request_id: str) -> str:
        port = self._server.server_address[1]
        return (
            f"https://127.0.0.1:{port}/cloudformation-responses/{request_id}?X-Amz-Signature=local"
        )

    def responses(self, request_id: str) -> list[Response]:
        with self._lock:
            return list(self._responses.get(request_id, []))

    # Faults S3's presigned URL shows in real life, for the next PUTs whatever their request:
    # "500" answers 500 InternalError, "drop" closes the connection without an answer, "hang"
    # never answers (until `release_hung` or the collector closes).
    TRANSPORT_FAULTS = ("500", "drop", "hang")

    def inject(self, *faults: str) -> None:
        assert set(faults) <= set(self.TRANSPORT_FAULTS), faults
        with self._lock:
            self._faults.extend(faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
        self.release_hung()

    def release_hung(self) -> None:
        self._release.set()
        self._release = threading.Event()

    def attempts(self, request_id: str) -> int:
        """PUTs that reached this server for the request, answered or not."""
        with self._lock:
            return self._attempts.get(request_id, 0)

    def _next_fault(self, request_id: str) -> str | None:
        with self._lock:
            self._attempts[request_id] = self._attempts.get(request_id, 0) + 1
            return self._faults.pop(0) if self._faults else None

    def _record(self, request_id: str, raw: bytes) -> None:
        with self._lock:
            response = Response(json.loads(raw), len(raw))
            self._responses.setdefault(request_id, []).append(response)

    def _request_handler(self) -> type[BaseHTTPRequestHandler]:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                request_id = self.path.split("?")[0].rsplit("/", 1)[-1]
                fault = collector._next_fault(request_id)
                if fault == "hang":
                    collector._release.wait(timeout=30)
                    return
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                if fault == "drop":
                    self.close_connection = True
                    return
                if fault == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                collector._record(request_id, raw)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                """Quiet: the tests and the demo report responses themselves."""

        return Handler

    def _tls_context(self) -> ssl.SSLContext:
        """A certificate for 127.0.0.1 from a throwaway CA, whose certificate is `ca_file`."""
        authority = trustme.CA()
        authority.cert_pem.write_to_path(self.ca_file)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        authority.issue_cert("127.0.0.1").configure_cert(context)
        return context


class LocalLambda:
    """Runs the provider's handler the way Lambda would, including the asynchronous
    invocations it makes of itself to continue a long wait (`schedule`)."""

    def __init__(
        self,
        handler: Callable[[dict[str, Any], Any], Any],
        function_name: str = "provider",
        timeout_seconds: float = 900,
    ):
        self.handler = handler
        self.function_name = function_name
        self.function_arn = function_arn(function_name)
        self.timeout_seconds = timeout_seconds
        self.invocations = 0
        self.queued: list[dict[str, Any]] = []

    def now(self) -> float:
        """The time the service's invocations run on (here the machine's)."""
        return time.monotonic()

    def schedule(self, function_arn: str, event: dict[str, Any]) -> None:
        assert function_arn == self.function_arn, f"invoked {function_arn}, not this function"
        self.queued.append(json.loads(json.dumps(event)))

    def invoke(self, event: dict[str, Any]) -> None:
        self.invocations += 1
        context = LambdaContext(self.function_name, self.function_arn, self.timeout_seconds)
        self.handler(json.loads(json.dumps(event)), context)

    def run_queued(self) -> bool:
        if not self.queued:
            return False
        self.invoke(self.queued.pop(0))
        return True


class CloudFormation:
    """Sends a stack's requests to a custom resource provider and waits for each answer."""

    def __init__(self, lambda_: LocalLambda, collector: ResponseCollector, stack_name: str):
        self.lambda_ = lambda_
        self.collector = collector
        self.stack_name = stack_name
        self.stack_id = (
            f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/{uuid.uuid4()}"
        )

    def request(
        self,
        request_type: str,
        logical_id: str,
        properties: dict[str, Any],
        *,
        old_properties: dict[str, Any] | None = None,
        physical_id: str | None = None,
        request_id: str | None = None,
        resource_type: str = "Custom::SageMakerEndpoint",
    ) -> dict[str, Any]:
        """The event CloudFormation would send."""
        request_id = request_id or str(uuid.uuid4())
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": self.lambda_.function_arn,
            "ResponseURL": self.collector.url_for(request_id),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "ResourceProperties": cloudformation_strings(
                {"ServiceToken": self.lambda_.function_arn, **properties}
            ),
        }
        if old_properties is not None:
            event["OldResourceProperties"] = cloudformation_strings(
                {"ServiceToken": self.lambda_.function_arn, **old_properties}
            )
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        return event

    def send(self, event: dict[str, Any]) -> Response:
        """Delivers the event, runs the invocations it schedules, returns the one answer."""
        started, invocations = self.lambda_.now(), self.lambda_.invocations
        self.lambda_.invoke(event)
        while not self.collector.responses(event["RequestId"]) and self.lambda_.run_queued():
            pass
        responses = self.collector.responses(event["RequestId"])
        if len(responses) != 1:
            raise AssertionError(f"expected exactly one response, got {len(responses)}")
        response = responses[0]
        response.seconds = self.lambda_.now() - started
        response.invocations = self.lambda_.invocations - invocations
        return response

    def create(self, logical_id: str, properties: dict[str, Any], **kwargs: Any) -> Response:
        return self.send(self.request("Create", logical_id, properties, **kwargs))

    def update(
        self,
        logical_id: str,
        physical_id: str,
        properties: dict[str, Any],
        old_properties: dict[str, Any],
        **kwargs: Any,
    ) -> Response:
        return self.send(
            self.request(
                "Update",
                logical_id,
                properties,
                old_properties=old_properties,
                physical_id=physical_id,
                **kwargs,
            )
        )

    def delete(
        self, logical_id: str, physical_id: str, properties: dict[str, Any], **kwargs: Any
    ) -> Response:
        return self.send(
            self.request("Delete", logical_id, properties, physical_id=physical_id, **kwargs)
        )
