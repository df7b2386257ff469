"""A SageMaker Runtime stand-in that answers at once: the model-free floor of InvokeEndpoint.

`POST /endpoints/<name>/invocations` echoes the body, in the request's Accept type (else its
Content-Type), with `x-Amzn-Invoked-Production-Variant: AllTraffic`, like the simulator's echo
model but without moto in the way. Threaded, HTTP/1.1 keep-alive, loopback only.

It runs in a process of its own (`RuntimeServer`), so that the server's work does not compete
for the benchmark's GIL; `python -m bench.runtime_server` prints `PORT <n>` and serves until
its standard input closes or `--seconds` pass.
"""

from __future__ import annotations

import argparse
import re
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parent.parent
INVOCATIONS = re.compile(r"/endpoints/(?P<name>[^/?]+)/invocations")
VARIANT = "AllTraffic"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Header and body go out as separate writes for large bodies: no Nagle delay between.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if not INVOCATIONS.fullmatch(self.path):
            self._answer(404, b'{"message":"not found"}', "application/json", {})
            return
        content_type = (
            self.headers.get("Accept")
            or self.headers.get("Content-Type")
            or "application/octet-stream"
        )
        self._answer(200, body, content_type, {"x-Amzn-Invoked-Production-Variant": VARIANT})

    def _answer(self, status: int, body: bytes, content_type: str, extra: dict[str, str]) -> None:
        head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}"]
        head += [
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            "x-amzn-RequestId: 00000000-0000-0000-0000-000000000000",
            *(f"{name}: {value}" for name, value in extra.items()),
        ]
        header = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        # Small answers in one write; large ones without concatenating a copy of the body.
        if len(body) <= 64 * 1024:
            self.wfile.write(header + body)
        else:
            self.wfile.write(header)
            self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet: a log line per request would cost more than the answer."""


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def serve(port: int = 0, seconds: float = 600.0) -> None:
    """Serves on 127.0.0.1 until stdin closes (the parent went away) or `seconds` pass."""
    server = Server(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"PORT {server.server_address[1]}", flush=True)
    done = threading.Event()

    def wait_for_stdin_close() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_for_stdin_close, daemon=True).start()
    done.wait(seconds)
    server.shutdown()
    server.server_close()


class RuntimeServer:
    """The server in a child process; `url` is its endpoint URL while the context is open."""

    def __init__(self, python: str = sys.executable, seconds: float = 600.0) -> None:
        self._command = [python, "-m", "bench.runtime_server", "--seconds", str(seconds)]
        self._process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> Self:
        self._process = subprocess.Popen(
            self._command,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self._process.stdout.readline() if self._process.stdout else ""
        if not line.startswith("PORT "):
            self._process.kill()
            raise RuntimeError(f"runtime server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=600.0, help="serve at most this long")
    arguments = parser.parse_args()
    serve(arguments.port, arguments.seconds)


if __name__ == "__main__":
    main()
