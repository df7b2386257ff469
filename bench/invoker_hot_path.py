"""Invoker hot path: the handler's per-request time against a bare boto3 call, same server.

All talk to bench.runtime_server (another process, answers at once), so what is left is the
client side: boto3 alone (baseline) or the invoker's handler around boto3 (logs, metrics and
tracing, event parsing and rendering). Figures are milliseconds per request and their ratios.

Every path runs in a worker process of its own, which the parent wakes for each request, as
Lambda wakes a function's process for each invocation; the worker times the request itself.
The parent sends one request of each path per turn, in an order shuffled for every turn
(seeded, never the same path twice in a row), so that drift on a noisy machine lands on all
alike and no path always follows another. (Before, requests rotated A B C D, D C B A with the
untraced paths in the parent: the first and last paths ran twice in a row at each turn, and the
floor always came right after the baseline in the same warm process.)

The invoker runs as deployed and traced as Lambda traces: active tracing as template.yaml sets
it (X-Ray patches botocore process-wide, so traced paths have workers of their own), sending its
segments to a local UDP listener that stands in for the X-Ray daemon. Lambda gives every
invocation a fresh trace ID (the runtime sets `_X_AMZN_TRACE_ID` before calling the handler) and
its sampling decision: so does the parent, per request, for three traced paths:

- `unsampled`: every request Sampled=0;
- `sampled`: every request Sampled=1 (the worst case; what this benchmark measured before);
- `mix`: X-Ray's default rule for requests arriving at MIX_RATE per second: the first request
  of each second sampled (the reservoir), then 5 % of the others (seeded), about 7 %.

`untraced` is the same handler with tracing off. The profiles show the untraced handler against
boto3 alone, and an unsampled request (in a traced worker) against the untraced handler.

The baseline sends raw bytes; an event carries the payload as base64 (Function URL binary,
bodyBase64), as a JSON document (direct `body`) or as text, both ways. The `floor` is the
baseline plus that conversion alone (b64decode + b64encode; orjson.dumps + orjson.loads, the
fastest JSON the layer has; encode + decode), what any handler of the shape pays: measured in
the same turns, so that the honest ratio (invoker / baseline) splits into the shape's part
(floor / baseline) and the invoker's (invoker / floor). For JSON, the same with the standard
library's json (what the invoker used before orjson) is measured too.

Beside the hot path, `reading` compares the invoker's reading of each front door's event with
Powertools' event classes (aws_lambda_powertools.utilities.data_classes) reading the same
fields, and what importing those classes costs a cold start.

    python -m bench.invoker_hot_path [--smoke] [--profile] [--json out.json]
"""

from __future__ import annotations

import argparse
import base64
import cProfile
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
# Every path, and those traced: a trace decision per request, in workers of the traced invoker.
PATHS = ("baseline", "floor", "unsampled", "sampled", "mix", "untraced", "stdlib", "control")
TRACED = ("unsampled", "sampled", "mix")
# Requests per second the `mix` path's decisions are made for; X-Ray's default rule samples
# the first request each second and FIXED_RATE of the rest.
MIX_RATE = 50
FIXED_RATE = 0.05


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
    # Milliseconds per path ("baseline", "floor", the TRACED paths as deployed, "untraced"
    # invoker, "stdlib" json floor for JSON cases, "control": the floor again, in a worker of
    # its own): {path: {"p50": ms, "p99": ms}}.
    ms: dict[str, dict[str, float]]
    # Subsegments the X-Ray stand-in received per request of each traced path.
    subsegments_per_request: dict[str, float]
    # The share of the `mix` path's requests that were sampled.
    mix_sampled: float

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


def default_rule(count: int, seed: int) -> list[bool]:
    """X-Ray's default sampling rule for `count` requests arriving at MIX_RATE per second: the
    first of each second (a reservoir of one per second), then FIXED_RATE of the others."""
    draw = random.Random(seed).random
    return [index % MIX_RATE == 0 or draw() < FIXED_RATE for index in range(count)]


class TraceHeaders:
    """A fresh trace header per request, as the Lambda runtime sets `_X_AMZN_TRACE_ID` for each
    invocation of every function, traced or not (untraced, Sampled=0: botocore sends it on with
    every call, for recursion detection); each path's trace IDs are told apart by the root's
    first digits."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self.paths: dict[str, str] = {}

    def header(self, path: str, sampled: bool) -> str:
        mark = f"{PATHS.index(path):02x}"
        root = f"1-{int(time.time()):08x}-{mark}{self._random.getrandbits(88):022x}"
        self.paths[root] = path
        parent = f"{self._random.getrandbits(64):016x}"
        return f"Root={root};Parent={parent};Sampled={int(sampled)};Lineage=a87bd80c:0"


class Calls:
    """Each path's request for a case, as a function of no arguments, in this process: boto3
    alone, the floor (boto3 and the shape's conversion), the invoker's handler."""

    def __init__(self) -> None:
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

    def of(self, case: Case) -> dict[str, Callable[[], object]]:
        """The untimed calls of every path that needs no trace header."""
        calls = {
            "baseline": self.baseline_call(case),
            "floor": self.floor_call(case, self.floor_client, orjson.dumps, orjson.loads),
            "invoker": self.invoker_call(case),
        }
        if case.codec == "json":
            calls["stdlib"] = self.floor_call(case, self.stdlib_client, _stdlib_dumps, json.loads)
        return calls

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

    def profile(self, case: Case, iterations: int, top: int = 12) -> dict[str, Any]:
        """cProfile of the baseline and of the handler untraced, same requests: where the
        handler's extra time goes, by package and by function (own time per request; cProfile
        inflates every figure alike)."""
        own = {}
        for label, call in (
            ("baseline", self.baseline_call(case)),
            ("invoker", self.invoker_call(case)),
        ):
            own[label] = _profiled(call, iterations)
        return _compare(case.name, iterations, own["baseline"], own["invoker"], top)


class Bench:
    """Every path in a worker process of its own, woken for each of its requests as Lambda
    wakes a function for each invocation: boto3 alone, the floors and the untraced invoker in
    untraced workers, each traced path in a worker of the invoker as deployed. No path's process
    is warmer than another's when its request comes (each last ran its own request, some
    requests ago); the parent only orders the requests and counts."""

    def __init__(self, runtime_url: str, daemon: XRayDaemon, sizes: tuple[int, ...]):
        os.environ.update(invoker_environment(runtime_url))
        self.calls = Calls()
        self.daemon = daemon
        self.workers = {
            path: Worker(runtime_url, daemon.address, sizes, traced=path in TRACED)
            for path in PATHS
        }
        for worker in self.workers.values():
            worker.wait_ready()

    def check(self, case: Case) -> None:
        self.calls.check(case)

    def measure(self, index: int, case: Case, iterations: int, warmup: int) -> Result:
        """Every path, one request each in turn, in an order shuffled for each turn (seeded;
        never the same path twice in a row), so that no path always follows another."""
        headers = TraceHeaders(seed=index)
        mix = default_rule(warmup + iterations, seed=index)
        turn = iter(mix)

        def traced(path: str) -> Callable[[], float]:
            def request() -> float:
                sampled = next(turn) if path == "mix" else path == "sampled"
                header = headers.header(path, sampled)
                return self.workers[path].request("invoker", index, header)

            return request

        def untraced(path: str, call: str) -> Callable[[], float]:
            return lambda: self.workers[path].request(call, index, headers.header(path, False))

        paths: dict[str, Callable[[], float]] = {
            "baseline": untraced("baseline", "baseline"),
            "floor": untraced("floor", "floor"),
            # The floor again, in a worker of its own: how far two runs of the same code read
            # apart in this run (an A/A test), the noise any ratio here carries.
            "control": untraced("control", "floor"),
            **{path: traced(path) for path in TRACED},
            "untraced": untraced("untraced", "invoker"),
        }
        if case.codec == "json":
            paths["stdlib"] = untraced("stdlib", "stdlib")
        orders = _orders(list(paths), warmup + iterations, seed=index)
        received = len(self.daemon.datagrams)
        for order in orders[:warmup]:
            for name in order:
                paths[name]()
        times: dict[str, list[float]] = {name: [] for name in paths}
        for order in orders[warmup:]:
            for name in order:
                times[name].append(paths[name]())
        # The daemon's thread may still be reading the last datagrams.
        time.sleep(0.3)
        sent: dict[str, int] = dict.fromkeys(TRACED, 0)
        for document in self.daemon.documents()[received:]:
            path = headers.paths.get(document.get("trace_id", ""))
            if path in sent:
                sent[path] += 1
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
            # Counted from the first warm-up request: per request of the whole run.
            subsegments_per_request={
                path: count / (warmup + iterations) for path, count in sent.items()
            },
            mix_sampled=sum(mix) / len(mix),
        )

    def profile(self, case: Case, iterations: int) -> dict[str, Any]:
        return self.calls.profile(case, iterations)

    def profile_unsampled(
        self, index: int, case: Case, iterations: int, top: int = 12
    ) -> dict[str, Any]:
        """cProfile of the handler in a traced worker, unsampled requests, against the same
        handler untraced: what tracing still costs a request Lambda did not sample."""
        untraced = _profiled(self.calls.invoker_call(case), iterations)
        unsampled = self.workers["unsampled"].profile(index, iterations)
        found = _compare(case.name, iterations, untraced, unsampled, top)
        return {**found, "over": "untraced", "traced": "unsampled"}

    def close(self) -> None:
        for worker in self.workers.values():
            worker.close()


def _orders(names: list[str], turns: int, seed: int) -> list[list[str]]:
    """One shuffled order of `names` per turn, the first of a turn never the last of the one
    before (a path run twice in a row would find its process's caches warm)."""
    shuffle = random.Random(seed).shuffle
    orders: list[list[str]] = []
    for _ in range(turns):
        order = list(names)
        shuffle(order)
        if orders and order[0] == orders[-1][-1]:
            order.append(order.pop(0))
        orders.append(order)
    return orders


def _profiled(call: Callable[[], object], iterations: int) -> dict[tuple[str, str], Any]:
    profiler = cProfile.Profile()
    for _ in range(iterations):
        profiler.enable()
        call()
        profiler.disable()
    return _own_times(pstats.Stats(profiler), iterations)


def _compare(
    name: str,
    iterations: int,
    base: dict[tuple[str, str], tuple[float, float]],
    inv: dict[tuple[str, str], tuple[float, float]],
    top: int,
) -> dict[str, Any]:
    """What `inv` spends beyond `base`, by package and by function, per request."""
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
        "case": name,
        "iterations": iterations,
        "baseline_us": sum(seconds for seconds, _ in base.values()) * 1e6,
        "invoker_us": sum(seconds for seconds, _ in inv.values()) * 1e6,
        "packages": sorted(
            (
                {"package": package, "baseline_us": pair[0] * 1e6, "invoker_us": pair[1] * 1e6}
                for package, pair in packages.items()
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


class Worker:
    """Paths in a process of their own: `request(path, i, header)` has it make case i's request
    of that path once (the invoker under that trace header, as the Lambda runtime sets it) and
    returns the seconds it took, timed in the worker. Traced, it is the invoker as deployed
    (active tracing; X-Ray patches botocore process-wide, so nothing untraced runs there)."""

    def __init__(self, runtime_url: str, daemon: str, sizes: tuple[int, ...], traced: bool):
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("POWERTOOLS_TRACE", "_X_AMZN"))
        }
        environment |= invoker_environment(runtime_url, tracing=traced)
        environment |= {"AWS_XRAY_DAEMON_ADDRESS": daemon, "PYTHONPATH": lambda_pythonpath()}
        kind = "traced" if traced else "untraced"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.invoker_hot_path", "--worker", kind,
             ",".join(str(size) for size in sizes)],
            cwd=ROOT, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._in: IO[str] = self._process.stdin  # type: ignore[assignment]
        self._out: IO[str] = self._process.stdout  # type: ignore[assignment]
        self._kind = kind

    def wait_ready(self) -> None:
        """Workers start side by side; each says `ready` once it has checked every case."""
        if self._out.readline().strip() != "ready":
            raise RuntimeError(f"the {self._kind} worker did not start")

    def request(self, path: str, index: int, header: str = "-") -> float:
        self._in.write(f"{path} {index} {header}\n")
        self._in.flush()
        return float(self._out.readline())

    def profile(self, index: int, iterations: int) -> dict[tuple[str, str], tuple[float, float]]:
        """Own time per request and function of `iterations` unsampled requests of case i."""
        self._in.write(f"profile {index} {iterations}\n")
        self._in.flush()
        rows = json.loads(self._out.readline())
        return {(package, function): (seconds, calls) for package, function, seconds, calls in rows}

    def close(self) -> None:
        self._in.close()
        self._process.wait(timeout=30)


def worker(kind: str, sizes: tuple[int, ...]) -> None:
    """A worker's loop: path, case index and trace header in, seconds out (or a profile of
    unsampled requests). The trace header is set before the clock starts, as the runtime sets
    it before calling the handler. Powertools prints to stdout, so the answers go out on a copy
    of it and stdout itself goes to /dev/null."""
    answers = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    calls = Calls()
    from endpoint_common.observability import tracer

    if tracer.disabled is (kind == "traced"):
        raise SystemExit(f"the {kind} worker's Tracer is {'not ' * (kind == 'traced')}active")
    found = cases(sizes)
    headers = TraceHeaders(seed=len(sizes))
    for case in found:
        for sampled in (True, False):
            os.environ["_X_AMZN_TRACE_ID"] = headers.header("sampled", sampled)
            calls.check(case)
    paths = [calls.of(case) for case in found]
    answers.write("ready\n")
    answers.flush()
    clock, environ = time.perf_counter, os.environ
    for line in sys.stdin:
        path, index, header = line.split()
        if path == "profile":
            rows = _profile_unsampled(calls, found[int(index)], headers, int(header))
            answers.write(json.dumps(rows) + "\n")
            answers.flush()
            continue
        call = paths[int(index)][path]
        if header != "-":
            environ["_X_AMZN_TRACE_ID"] = header
        started = clock()
        call()
        answers.write(f"{clock() - started}\n")
        answers.flush()


def _profile_unsampled(
    calls: Calls, case: Case, headers: TraceHeaders, iterations: int
) -> list[tuple[str, str, float, float]]:
    handler, context = calls.app.handler, calls.context
    profiler = cProfile.Profile()
    for _ in range(iterations):
        os.environ["_X_AMZN_TRACE_ID"] = headers.header("unsampled", False)
        profiler.enable()
        handler(case.event, context)
        profiler.disable()
    own = _own_times(pstats.Stats(profiler), iterations)
    return [(package, function, *times) for (package, function), times in own.items()]


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


# Each front door's event file, with the Powertools event class that reads that door's events.
DOOR_EVENTS = {
    "invoke-function-url.json": "LambdaFunctionUrlEvent",
    "invoke-http-api.json": "APIGatewayProxyEventV2",
    "invoke-rest-api.json": "APIGatewayProxyEvent",
    "invoke-alb.json": "ALBEvent",
    "invoke-alb-multi-value.json": "ALBEvent",
    "invoke-vpc-lattice-v1.json": "VPCLatticeEvent",
    "invoke-vpc-lattice-v2.json": "VPCLatticeEventV2",
}
DATA_CLASSES = "aws_lambda_powertools.utilities.data_classes"


def reading(repeat: int) -> dict[str, Any]:
    """What reading each door's event costs: the invoker's own reading (shape, every field
    type-checked, options checked against botocore's model) against Powertools' event class
    reading the same fields with none of those checks, per event; and what importing the event
    classes costs a cold start, in a fresh process that has already imported Powertools' Logger
    (as the invoker has), median of 5."""
    import importlib
    import timeit

    from endpoint_invoker import events
    from endpoint_invoker.invocation import PASS_THROUGH_HEADERS

    classes = importlib.import_module(DATA_CLASSES)
    names = ("content-type", "accept", *PASS_THROUGH_HEADERS)
    doors = []
    for file, class_name in DOOR_EVENTS.items():
        event = json.loads((ROOT / "events" / file).read_text())
        event_class = getattr(classes, class_name)

        def invoker(event: Any = event) -> object:
            return events.parse(event, events.shape_of(event))

        def powertools(event: Any = event, event_class: Any = event_class) -> object:
            read = event_class(event)
            multi = "multiValueHeaders" in event
            headers = read.multi_value_headers if multi else read.headers
            query = read.multi_value_query_string_parameters if multi else None
            query = query or read.query_string_parameters or {}
            body = read["body"]
            raw = base64.b64decode(body) if read.is_base64_encoded else body.encode()
            found = [headers.get(name) for name in names]
            return read.http_method, found, query.get("mode"), query.get("location"), raw

        doors.append(
            {
                "event": file,
                "invoker_us": min(timeit.repeat(invoker, number=repeat, repeat=5)) / repeat * 1e6,
                "powertools_us": min(timeit.repeat(powertools, number=repeat, repeat=5))
                / repeat
                * 1e6,
            }
        )
    imports = []
    environment = {**os.environ, "PYTHONPATH": lambda_pythonpath()}
    for _ in range(5):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-c",
             f"import aws_lambda_powertools.logging; import {DATA_CLASSES}"],
            capture_output=True, text=True, check=True, env=environment,
        )  # fmt: skip
        for line in done.stderr.splitlines():
            if line.rstrip().endswith(f"| {DATA_CLASSES}"):
                imports.append(int(line.split("|")[1]) / 1000)
    return {"doors": doors, "import_ms": sorted(imports)[len(imports) // 2] if imports else None}


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
                    for index, case in enumerate(cases(sizes)):
                        if case.shape.startswith("Function URL") or case.size < MB:
                            profiles.append(bench.profile(case, 200 if case.size < MB else 30))
                        if case.size < MB and case.codec == "json":
                            profiles.append(bench.profile_unsampled(index, case, 300))
            bench.close()
    finally:
        daemon.close()
    return {
        "results": [asdict(result) for result in results],
        "profiles": profiles,
        "python": platform.python_version(),
        "traced_subsegments": sorted(daemon.names()),
        "reading": reading(200 if smoke else 5000),
        "mix_rate": MIX_RATE,
        "fixed_rate": FIXED_RATE,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="few iterations, for CI")
    parser.add_argument("--profile", action="store_true", help="also cProfile the handler")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        kind, sizes = arguments.worker
        worker(kind, tuple(int(size) for size in sizes.split(",")))
        return
    outcome = run(smoke=arguments.smoke, profile=arguments.profile)
    write_json(arguments.json, outcome)
    if not arguments.json:
        say(json.dumps(outcome, indent=1))


if __name__ == "__main__":
    main()
