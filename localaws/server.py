"""moto's server with the SageMaker simulator in front of it, on a background thread.

Not moto's ThreadedMotoServer: it builds its WSGI application inside its thread's entry point
(`_server_entry`), with no way to put the simulator in front of it short of overriding that
private method. This is the same few lines with the simulator as the application.
"""

import threading
import urllib.request
from types import TracebackType
from typing import Self

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from localaws.simulator import SageMakerSimulator, SimulatorSettings

_WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


class LocalAws:
    """Every AWS service moto knows, at `endpoint_url`, with SageMaker simulated.

    `port=0` lets the OS pick a free port. Use as a context manager, or call `start()` and
    `stop()` yourself.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        settings: SimulatorSettings | None = None,
    ) -> None:
        self.host = host
        self.port = port
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
        return f"http://{host}:{self._server.server_port}"

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("LocalAws is already started")
        self._server = make_server(
            self.host, self.port, self.simulator, threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="localaws", daemon=True
        )
        self._thread.start()
        return self

    def reset(self) -> None:
        """Empty moto's backends; the simulator forgets its state and counters on the same call."""
        reset = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset) as response:
            response.read()

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
