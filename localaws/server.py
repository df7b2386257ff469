"""moto's server with the SageMaker simulator in front of it, on a background thread.

Not moto's ThreadedMotoServer: it builds its WSGI application inside its thread's entry point
(`_server_entry`), with no way to put the simulator in front of it short of overriding that
private method. This is the same few lines with the simulator as the application.
"""

import ssl
import threading
import urllib.request
from types import TracebackType
from typing import Self

import trustme
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from localaws.sagemaker import SageMakerSimulator, SimulatorSettings

_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})
# The names a client may reach it by: this machine, and a container's name for its host.
CERTIFICATE_HOSTS = ("127.0.0.1", "localhost", "host.docker.internal")
# Where the ResponseURLs of events/*.json put CloudFormation's answers, as S3 objects.
RESPONSE_BUCKET = "cloudformation-responses"


class LocalAws:
    """Every AWS service moto knows, at `endpoint_url`, with SageMaker simulated.

    `port=0` lets the OS pick a free port. With `ca_file`, it serves HTTPS under a certificate
    from a throwaway authority whose certificate it writes there (for AWS_CA_BUNDLE and
    SSL_CERT_FILE): crhelper answers a ResponseURL over HTTPS only. Use as a context manager,
    or call `start()` and `stop()` yourself.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        settings: SimulatorSettings | None = None,
        ca_file: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.ca_file = ca_file
        self.simulator = SageMakerSimulator(
            DomainDispatcherApplication(create_backend_app), settings
        )
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("LocalAws is not started")
        # A wildcard address accepts connections but is no address to connect to.
        host = "127.0.0.1" if self.host in _WILDCARD_HOSTS else self.host
        scheme = "https" if self.ca_file else "http"
        return f"{scheme}://{host}:{self._server.server_port}"

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("LocalAws is already started")
        self._server = make_server(
            self.host,
            self.port,
            self.simulator,
            threaded=True,
            request_handler=MotoRequestHandler,
            ssl_context=self._tls_context() if self.ca_file else None,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="localaws", daemon=True
        )
        self._thread.start()
        return self

    def reset(self) -> None:
        """Empty moto's backends; the simulator forgets its state and counters on the same call."""
        reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        trust = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else None
        with urllib.request.urlopen(reset, context=trust) as response:
            response.read()

    def _tls_context(self) -> ssl.SSLContext:
        authority = trustme.CA()
        authority.cert_pem.write_to_path(str(self.ca_file))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        authority.issue_cert(*CERTIFICATE_HOSTS).configure_cert(context)
        return context

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
