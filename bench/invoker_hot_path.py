"""Invoker hot path: the handler's per-request time against a bare boto3 call, same server.

All talk to bench.runtime_server (another process, answers at once), so what is left is the
client side: boto3 alone (baseline) or the invoker's handler around boto3 (Powertools logging,
metrics and tracing, event parsing and rendering). Requests rotate among the paths (A B C D,
D C B A), each on a connection of its own, so drift on a noisy machine lands on all alike.
Figures are milliseconds per request and their ratios.

The invoker runs as deployed: active tracing as template.yaml sets it, in a worker process of
its own (X-Ray patches botocore process-wide, which would trace the baseline too), sending its
segments to a local UDP listener that stands in for the X-Ray daemon; the worker times each
request itself and the parent waits meanwhile. The same handler untraced, in this process, is
reported beside it, and is what the profile shows.

The baseline sends raw bytes; an event carries the payload as base64 (Function URL binary,
bodyBase64), as a JSON document (direct `body`) or as text, both ways. The `floor` is the
baseline plus that conversion alone (b64decode + b64encode; orjson.dumps + orjson.loads, the
fastest JSON the layer has; encode + decode), what any handler of the shape pays: measured in
the same rotation, so that the honest ratio (invoker / baseline) splits into the shape's part
(floor / baseline) and the invoker's (invoker / floor). For JSON, the same with the standard
library's json (what the invoker used before orjson) is measured too.

    python -m bench.invoker_hot_path [--smoke] [--profile] [--json out.json]
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import IO, Any

import orjson

from bench.cold_start import XRayDaemon
from bench.common import (
    ROOT,
    invoker_context,
    invoker_environment,
    lambda_pythonpath,
    load_function,
    percentile,
    quiet_stdout,
    ratio,
    say,
    write_json,
)
from bench.runtime_server import RuntimeServer

KB = 1024
MB = 1024 * 1024
ENDPOINT = "churn"


@dataclass(frozen=True)
class Case:
    """One event shape with one payload: the event the invoker gets, and the same request
    as a bare InvokeEndpoint call."""

    shape: str
    size: int
    event: dict[str, Any]
    body: bytes
    content_type: str
    accept: str
    # How the shape carries the payload, both ways: "base64" (b64decode of the request,
    # b64encode of the answer), "json" (dumps of the request document, loads of the answer)
    # or "text" (str.encode, bytes.decode).
    codec: str
    document: Any = None

    @property
    def name(self) -> str:
        return f"{self.shape} {_size_label(self.size)}"


@dataclass
class Result:
    name: str
    shape: str
    size: int
    iterations: int
    codec: str
    # Milliseconds per path ("baseline", "floor", "invoker" as deployed, "untraced" invoker,
    # "stdlib" json floor for JSON cases): {path: {"p50": ms, "p99": ms}}.
    ms: dict[str, dict[str, float]]
    # Subsegments the X-Ray stand-in received per traced request.
    subsegments_per_request: float

    def ratio(self, path: str, over: str, quantile: str) -> float:
        return ratio(self.ms[path][quantile], self.ms[over][quantile])


def json_document(size: int) -> Any:
    """A JSON document that serialises to about `size` bytes: rows of features, as a
    tabular model receives them."""
    row = [0.3125, 12, 1, 0, 47.25, 3, 0.5, 1.0]
    one = len(json.dumps(row)) + 2
    rows = max(1, (size - len('{"instances": []}')) // one)
    return {"instances": [row] * rows}


def function_url_event(body: str, *, content_type: str, is_base64: bool) -> dict[str, Any]:
    """The repository's Function URL event (events/), carrying this body."""
    event = json.loads((ROOT / "events" / "invoke-function-url.json").read_text())
    event["headers"] = {"content-type": content_type, "accept": content_type}
    event.update(body=body, isBase64Encoded=is_base64)
    return event


def cases(sizes: tuple[int, ...]) -> list[Case]:
    """Per size: a direct invocation with a JSON document (events/invoke-direct.json), one with
    a binary bodyBase64, and a Function URL request (JSON text as in
    events/invoke-function-url.json for small bodies, base64 binary for large ones)."""
    found = []
    for size in sizes:
        document = json_document(size)
        text = json.dumps(document)
        binary = random.Random(size).randbytes(size)
        found.append(
            Case(
                "direct body (JSON)",
                size,
                {"body": document, "accept": "application/json"},
                text.encode(),
                "application/json",
                "application/json",
                "json",
                document,
            )
        )
        found.append(
            Case(
                "direct bodyBase64",
                size,
                {
                    "bodyBase64": base64.b64encode(binary).decode(),
                    "contentType": "application/octet-stream",
                    "accept": "application/octet-stream",
                },
                binary,
                "application/octet-stream",
                "application/octet-stream",
                "base64",
            )
        )
        if size < MB:
            url_event = function_url_event(text, content_type="application/json", is_base64=False)
            found.append(
                Case(
                    "Function URL (JSON text)",
                    size,
                    url_event,
                    text.encode(),
                    "application/json",
                    "application/json",
                    "text",
                )
            )
        else:
            url_event = function_url_event(
                base64.b64encode(binary).decode(),
                content_type="application/octet-stream",
                is_base64=True,
            )
            found.append(
                Case(
                    "Function URL (base64 binary)",
                    size,
                    url_event,
                    binary,
                    "application/octet-stream",
                    "application/octet-stream",
                    "base64",
                )
            )
    return found


def _size_label(size: int) -> str:
    return f"{size // MB} MB" if size >= MB else f"{size // KB} KB"


class Bench:
    def __init__(self, runtime_url: str, daemon: XRayDaemon, sizes: tuple[int, ...]):
        os.environ.update(invoker_environment(runtime_url))
        import boto3

        self.app = load_function("invoker")
        # Baseline: boto3 as anyone would use it, nothing configured but the endpoint. The
        # floors get a client (so a connection, so a server thread) of their own too: each
        # path then finds its connection idle for as many requests as the others.
        self.client = boto3.client("sagemaker-runtime")
        self.floor_client = boto3.client("sagemaker-runtime")
        self.stdlib_client = boto3.client("sagemaker-runtime")
        # A context that never runs out: the runs outlast a real invocation's 60 s.
        self.context = invoker_context(24 * 3600)
        self.daemon = daemon
        self.worker = TracedWorker(runtime_url, daemon.address, sizes)

    def baseline_call(self, case: Case) -> Callable[[], object]:
        client, body = self.client, case.body
        content_type, accept = case.content_type, case.accept

        def call() -> object:
            response = client.invoke_endpoint(
                EndpointName=ENDPOINT, Body=body, ContentType=content_type, Accept=accept
            )
            return response["Body"].read()

        return call

    def invoker_call(self, case: Case) -> Callable[[], object]:
        handler, event, context = self.app.handler, case.event, self.context

        def call() -> object:
            return handler(event, context)

        return call

    def check(self, case: Case) -> None:
        """Every path answers 200 with the echoed payload before anything is timed."""
        answer = self.invoker_call(case)()
        assert answer["statusCode"] == 200, answer
        assert echoed(answer) == case.body, f"{case.name}: the invoker's answer is not the echo"
        assert self.baseline_call(case)() == case.body
        self.floor_call(case, self.floor_client, orjson.dumps, orjson.loads)()
        self.floor_call(case, self.stdlib_client, _stdlib_dumps, json.loads)()

    def floor_call(
        self,
        case: Case,
        client: Any,
        dumps: Callable[[Any], bytes],
        loads: Callable[[bytes], Any],
    ) -> Callable[[], object]:
        """The least any handler of this event shape must do: the baseline call, plus turning
        the event's payload into bytes and the answer's bytes back into the shape (`dumps` and
        `loads` for JSON)."""
        content_type, accept = case.content_type, case.accept

        def invoke(body: bytes) -> bytes:
            response = client.invoke_endpoint(
                EndpointName=ENDPOINT, Body=body, ContentType=content_type, Accept=accept
            )
            return response["Body"].read()

        if case.codec == "base64":
            encoded = case.event.get("bodyBase64") or case.event["body"]

            def call() -> object:
                body = base64.b64decode(encoded, validate=True)
                return base64.b64encode(invoke(body)).decode()

        elif case.codec == "json":
            document = case.document

            def call() -> object:
                return loads(invoke(dumps(document)))

        else:
            text = case.body.decode()

            def call() -> object:
                return invoke(text.encode()).decode()

        return call

    def measure(self, index: int, case: Case, iterations: int, warmup: int) -> Result:
        """Every path, one request each in turn, the order rotating."""
        paths: dict[str, Callable[[], float]] = {
            "baseline": _timed(self.baseline_call(case)),
            "floor": _timed(self.floor_call(case, self.floor_client, orjson.dumps, orjson.loads)),
            "invoker": lambda: self.worker.request(index),
            "untraced": _timed(self.invoker_call(case)),
        }
        if case.codec == "json":
            stdlib = self.floor_call(case, self.stdlib_client, _stdlib_dumps, json.loads)
            paths["stdlib"] = _timed(stdlib)
        names = list(paths)
        for _ in range(warmup):
            for name in names:
                paths[name]()
        times: dict[str, list[float]] = {name: [] for name in names}
        gc.collect()
        received = len(self.daemon.datagrams)
        for iteration in range(iterations):
            for name in names if iteration % 2 == 0 else reversed(names):
                times[name].append(paths[name]())
        # The daemon's thread may still be reading the last datagrams.
        time.sleep(0.3)
        return Result(
            name=case.name,
            shape=case.shape,
            size=case.size,
            iterations=iterations,
            codec=case.codec,
            ms={
                name: {
                    "p50": percentile(found, 0.50) * 1000,
                    "p99": percentile(found, 0.99) * 1000,
                }
                for name, found in times.items()
            },
            subsegments_per_request=(len(self.daemon.datagrams) - received) / iterations,
        )

    def profile(self, case: Case, iterations: int, top: int = 12) -> dict[str, Any]:
        """cProfile of the baseline and of the handler, same requests: where the handler's
        extra time goes, by package and by function (own time per request; cProfile inflates
        every figure alike)."""
        own = {}
        for label, call in (
            ("baseline", self.baseline_call(case)),
            ("invoker", self.invoker_call(case)),
        ):
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(iterations):
                call()
            profiler.disable()
            own[label] = _own_times(pstats.Stats(profiler), iterations)
        base, inv = own["baseline"], own["invoker"]
        packages: dict[str, list[float]] = {}
        for label, times in (("baseline", base), ("invoker", inv)):
            for (package, _), (seconds, _calls) in times.items():
                packages.setdefault(package, [0.0, 0.0])[label == "invoker"] += seconds
        functions = sorted(
            (
                (inv.get(key, (0.0, 0))[0] - base.get(key, (0.0, 0))[0], key)
                for key in set(base) | set(inv)
            ),
            reverse=True,
        )
        return {
            "case": case.name,
            "iterations": iterations,
            "baseline_us": sum(seconds for seconds, _ in base.values()) * 1e6,
            "invoker_us": sum(seconds for seconds, _ in inv.values()) * 1e6,
            "packages": sorted(
                (
                    {"package": name, "baseline_us": pair[0] * 1e6, "invoker_us": pair[1] * 1e6}
                    for name, pair in packages.items()
                ),
                key=lambda row: row["baseline_us"] - row["invoker_us"],
            )[:top],
            "functions": [
                {
                    "function": key[1],
                    "package": key[0],
                    "extra_us": delta * 1e6,
                    "calls": inv.get(key, (0.0, 0))[1],
                }
                for delta, key in functions[:top]
            ],
        }


def echoed(answer: dict[str, Any]) -> bytes:
    """The payload bytes in an answer of any shape."""
    if "bodyBase64" in answer:
        return base64.b64decode(answer["bodyBase64"])
    if answer.get("isBase64Encoded"):
        return base64.b64decode(answer["body"])
    if isinstance(answer.get("body"), str):
        return answer["body"].encode()
    return json.dumps(answer["body"]).encode()


def _stdlib_dumps(document: Any) -> bytes:
    return json.dumps(document).encode()


def _timed(call: Callable[[], object]) -> Callable[[], float]:
    clock = time.perf_counter

    def timed() -> float:
        started = clock()
        call()
        return clock() - started

    return timed


class TracedWorker:
    """The invoker as deployed (active tracing), in a process of its own: `request(i)` has it
    handle case i once and returns the seconds the handler took, timed in the worker."""

    def __init__(self, runtime_url: str, daemon: str, sizes: tuple[int, ...]) -> None:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("POWERTOOLS_TRACE", "_X_AMZN"))
        }
        environment |= invoker_environment(runtime_url, tracing=True)
        environment |= {"AWS_XRAY_DAEMON_ADDRESS": daemon, "PYTHONPATH": lambda_pythonpath()}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.invoker_hot_path", "--worker",
             ",".join(str(size) for size in sizes)],
            cwd=ROOT, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._in: IO[str] = self._process.stdin  # type: ignore[assignment]
        self._out: IO[str] = self._process.stdout  # type: ignore[assignment]
        if self._out.readline().strip() != "ready":
            raise RuntimeError("the traced invoker worker did not start")

    def request(self, index: int) -> float:
        self._in.write(f"{index}\n")
        self._in.flush()
        return float(self._out.readline())

    def close(self) -> None:
        self._in.close()
        self._process.wait(timeout=30)


def worker(sizes: tuple[int, ...]) -> None:
    """The traced worker's loop: case index in, handler seconds out. Powertools prints to
    stdout, so the answers go out on a copy of it and stdout itself goes to /dev/null."""
    answers = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    app = load_function("invoker")
    if app.tracer.disabled:
        raise SystemExit("the worker's Tracer is not active")
    context = invoker_context(24 * 3600)
    found = cases(sizes)
    for case in found:
        answer = app.handler(case.event, context)
        assert answer["statusCode"] == 200 and echoed(answer) == case.body, case.name
    answers.write("ready\n")
    answers.flush()
    clock, handler = time.perf_counter, app.handler
    for line in sys.stdin:
        event = found[int(line)].event
        started = clock()
        handler(event, context)
        answers.write(f"{clock() - started}\n")
        answers.flush()


def _own_times(stats: pstats.Stats, iterations: int) -> dict[tuple[str, str], tuple[float, float]]:
    """(package, function) -> (own seconds, calls), per request."""
    found: dict[tuple[str, str], tuple[float, float]] = {}
    for (path, line, function), (_, calls, own, _, _) in stats.stats.items():
        key = (_package(path), f"{os.path.basename(path)}:{line}({function})")
        seconds, count = found.get(key, (0.0, 0.0))
        found[key] = (seconds + own / iterations, count + calls / iterations)
    return found


def _package(path: str) -> str:
    """Which package a profiled function belongs to: site-packages' top level, the project's
    folders, the standard library's module, or `builtins` for C functions."""
    if path == "~":
        return "builtins (C: sockets, hashing, ...)"
    parts = path.replace("\\", "/").split("/")
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    for marker, name in (("functions", 2), ("layers", 3)):
        if marker in parts:
            index = parts.index(marker)
            return "/".join(parts[index : index + name]).removesuffix(".py")
    if "lib" in parts:
        below = parts[len(parts) - 1 - parts[::-1].index("lib") + 2 :]
        return (below[0] if below else parts[-1]).removesuffix(".py")
    return os.path.basename(path)


def run(*, smoke: bool, profile: bool) -> dict[str, Any]:
    # At least 100 of each, so that a p99 is not simply the slowest request.
    small_iterations, large_iterations = (100, 10) if smoke else (1500, 200)
    sizes = (KB, MB)
    profiles: list[dict[str, Any]] = []
    results: list[Result] = []
    daemon = XRayDaemon()
    try:
        with RuntimeServer() as server:
            bench = Bench(server.url, daemon, sizes)
            with quiet_stdout():
                for index, case in enumerate(cases(sizes)):
                    bench.check(case)
                    iterations = small_iterations if case.size < MB else large_iterations
                    if case.size >= MB and case.codec == "json":
                        # Tens of times the baseline (JSON both ways): fewer will do.
                        iterations //= 2
                    warmup = max(5, iterations // 20)
                    say(f"  hot path: {case.name} x {iterations}")
                    result = bench.measure(index, case, iterations, warmup)
                    results.append(result)
                    say(
                        "    p50/p99 ms: "
                        + ", ".join(
                            f"{name} {found['p50']:.3f}/{found['p99']:.3f}"
                            for name, found in result.ms.items()
                        )
                    )
                if profile:
                    for case in cases(sizes):
                        if case.shape.startswith("Function URL") or case.size < MB:
                            profiles.append(bench.profile(case, 200 if case.size < MB else 30))
            bench.worker.close()
    finally:
        daemon.close()
    return {
        "results": [asdict(result) for result in results],
        "profiles": profiles,
        "python": platform.python_version(),
        "traced_subsegments": sorted(daemon.names()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="few iterations, for CI")
    parser.add_argument("--profile", action="store_true", help="also cProfile the handler")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(tuple(int(size) for size in arguments.worker.split(",")))
        return
    outcome = run(smoke=arguments.smoke, profile=arguments.profile)
    write_json(arguments.json, outcome)
    if not arguments.json:
        say(json.dumps(outcome, indent=1))


if __name__ == "__main__":
    main()
