"""Invoker hot path: the handler's per-request time against a bare boto3 call, same server.

Both talk to bench.runtime_server (another process, answers at once), so what is left is the
client side: boto3 alone (baseline) or the invoker's handler around boto3 (Powertools logging
and metrics, event parsing and rendering). Requests rotate among the paths (A B C, C B A), each
on a connection of its own, so drift on a noisy machine lands on all alike. Figures are
milliseconds per request and their ratios.

The baseline sends raw bytes; an event carries the payload as base64 (Function URL binary,
bodyBase64), as a JSON document (direct `body`) or as text, both ways. The `floor` is the
baseline plus that conversion alone (b64decode + b64encode, json.dumps + json.loads, encode +
decode), what any handler of the shape pays: measured in the same rotation, so that the honest
ratio (invoker / baseline) splits into the shape's part (floor / baseline) and the invoker's
(invoker / floor).

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
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from bench.common import (
    ROOT,
    Context,
    invoker_environment,
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
    # b64encode of the answer), "json" (json.dumps of the request document, json.loads of the
    # answer) or "text" (str.encode, bytes.decode).
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
    baseline_p50_ms: float
    baseline_p99_ms: float
    floor_p50_ms: float
    floor_p99_ms: float
    invoker_p50_ms: float
    invoker_p99_ms: float
    # invoker / baseline: the honest ratio, the one the bar is about.
    p50_ratio: float
    p99_ratio: float
    # floor / baseline: what the event shape's conversion costs whoever implements it.
    floor_p50_ratio: float
    floor_p99_ratio: float
    # invoker / floor: what the invoker adds on top of that.
    p50_ratio_over_floor: float
    p99_ratio_over_floor: float


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
    def __init__(self, runtime_url: str):
        os.environ.update(invoker_environment(runtime_url))
        import boto3

        self.app = load_function("invoker")
        # Baseline: boto3 as anyone would use it, nothing configured but the endpoint. The
        # floor gets a client (so a connection, so a server thread) of its own too: each of the
        # three then finds its connection idle for two requests, no one a warmer one.
        self.client = boto3.client("sagemaker-runtime")
        self.floor_client = boto3.client("sagemaker-runtime")
        # A context that never runs out: the runs outlast a real invocation's 60 s.
        self.context = Context(timeout_seconds=24 * 3600)

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
        """Both paths answer 200 with the echoed payload before anything is timed."""
        answer = self.invoker_call(case)()
        assert answer["statusCode"] == 200, answer
        if "bodyBase64" in answer:
            echoed = base64.b64decode(answer["bodyBase64"])
        elif answer.get("isBase64Encoded"):
            echoed = base64.b64decode(answer["body"])
        elif isinstance(answer.get("body"), str):
            echoed = answer["body"].encode()
        else:
            echoed = json.dumps(answer["body"]).encode()
        assert echoed == case.body, f"{case.name}: the invoker's answer is not the echo"
        assert self.baseline_call(case)() == case.body
        self.floor_call(case)()

    def floor_call(self, case: Case) -> Callable[[], object]:
        """The least any handler of this event shape must do: the baseline call, plus turning
        the event's payload into bytes and the answer's bytes back into the shape."""
        client, content_type, accept = self.floor_client, case.content_type, case.accept

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
                return json.loads(invoke(json.dumps(document).encode()))

        else:
            text = case.body.decode()

            def call() -> object:
                return invoke(text.encode()).decode()

        return call

    def measure(self, case: Case, iterations: int, warmup: int) -> Result:
        """Baseline, floor and invoker, one request each in turn, the order rotating."""
        calls = [self.baseline_call(case), self.floor_call(case), self.invoker_call(case)]
        for _ in range(warmup):
            for call in calls:
                call()
        times: list[list[float]] = [[], [], []]
        clock = time.perf_counter
        gc.collect()
        for index in range(iterations):
            order = (0, 1, 2) if index % 2 == 0 else (2, 1, 0)
            for which in order:
                call = calls[which]
                started = clock()
                call()
                times[which].append(clock() - started)
        (base50, floor50, inv50), (base99, floor99, inv99) = (
            [percentile(found, quantile) for found in times] for quantile in (0.50, 0.99)
        )
        return Result(
            name=case.name,
            shape=case.shape,
            size=case.size,
            iterations=iterations,
            codec=case.codec,
            baseline_p50_ms=base50 * 1000,
            baseline_p99_ms=base99 * 1000,
            floor_p50_ms=floor50 * 1000,
            floor_p99_ms=floor99 * 1000,
            invoker_p50_ms=inv50 * 1000,
            invoker_p99_ms=inv99 * 1000,
            p50_ratio=ratio(inv50, base50),
            p99_ratio=ratio(inv99, base99),
            floor_p50_ratio=ratio(floor50, base50),
            floor_p99_ratio=ratio(floor99, base99),
            p50_ratio_over_floor=ratio(inv50, floor50),
            p99_ratio_over_floor=ratio(inv99, floor99),
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
    small_iterations, large_iterations = (100, 10) if smoke else (2000, 300)
    profiles: list[dict[str, Any]] = []
    results: list[Result] = []
    with RuntimeServer() as server:
        bench = Bench(server.url)
        with quiet_stdout():
            for case in cases((KB, MB)):
                bench.check(case)
                iterations = small_iterations if case.size < MB else large_iterations
                if case.size >= MB and case.codec == "json":
                    # Tens of times the baseline (JSON both ways): fewer will do.
                    iterations //= 6
                warmup = max(10, iterations // 20)
                say(f"  hot path: {case.name} x {iterations}")
                result = bench.measure(case, iterations, warmup)
                results.append(result)
                say(
                    f"    p50/p99 ms: baseline {result.baseline_p50_ms:.3f}/"
                    f"{result.baseline_p99_ms:.3f}, {result.codec} floor "
                    f"{result.floor_p50_ms:.3f}/{result.floor_p99_ms:.3f}, invoker "
                    f"{result.invoker_p50_ms:.3f}/{result.invoker_p99_ms:.3f}: "
                    f"{result.p50_ratio:.2f}x/{result.p99_ratio:.2f}x"
                )
            if profile:
                for case in cases((KB, MB)):
                    if case.shape.startswith("Function URL") or case.size < MB:
                        profiles.append(bench.profile(case, 200 if case.size < MB else 30))
    return {
        "results": [asdict(result) for result in results],
        "profiles": profiles,
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="few iterations, for CI")
    parser.add_argument("--profile", action="store_true", help="also cProfile the handler")
    parser.add_argument("--json", help="write the results here")
    arguments = parser.parse_args()
    outcome = run(smoke=arguments.smoke, profile=arguments.profile)
    write_json(arguments.json, outcome)
    if not arguments.json:
        say(json.dumps(outcome, indent=1))


if __name__ == "__main__":
    main()
