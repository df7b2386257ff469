"""Invoker cold start: a fresh process importing the handler and serving its first request,
against a fresh process that imports boto3, builds the client and makes the same call.

As deployed: the function and layer `sam build` made (.aws-sam/build), run as Lambda runs
them: no site-packages (`python -S`), the layer and the function folder on the path, boto3 from
the layer on both sides, no bytecode but what the build holds (layers/shared/Makefile and
functions/invoker/Makefile compile both). The build targets arm64; its few native packages
(orjson, wrapt, pydantic-core) are swapped for this machine's wheels of the same versions,
compiled as the build compiled theirs. A build whose layer has no bytecode is also run
compiled ahead (`with bytecode`). Without a build, the source tree and the interpreter's
site-packages stand in, and the rows say so.

Runs alternate (baseline, invoker with active tracing as the template sets it, invoker with
tracing off) so that drift lands on all alike; medians and their ratios are reported. Time is
counted from the spawn to the first answer, interpreter start-up included and teardown
excluded (Lambda freezes the process after the answer). With active tracing, a UDP listener
stands in for the X-Ray daemon and the run checks that the handler's and the SageMaker call's
subsegments arrive. Each run also reports its peak RSS.

Also: `python -X importtime` of both (top import costs), a cProfile of the invoker's first
request, and the deployment size from `sam build`'s output (.aws-sam/build).

    python -m bench.cold_start [--python PY313] [--smoke] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.common import (
    CODE_ROOT,
    ROOT,
    invoker_environment,
    lambda_pythonpath,
    median,
    ratio,
    say,
    write_json,
)
from bench.runtime_server import RuntimeServer

CHILD = ROOT / "bench" / "cold_child.py"
BUILD = CODE_ROOT / ".aws-sam" / "build"
# One per checkout: worktrees benchmarking side by side on one machine would otherwise swap
# each other's build in mid-run.
DEPLOYED = Path(tempfile.gettempdir()) / (
    "sagemaker-endpoint-bench-deployed-" + hashlib.sha256(str(CODE_ROOT).encode()).hexdigest()[:8]
)
TRACED = "invoker, active tracing"
BYTECODE = ", with bytecode"
MODES = ("baseline", TRACED, "invoker, tracing off")
# The same build with every module compiled ahead (what a layer holding __pycache__ would give):
# Lambda cannot write bytecode next to /opt or /var/task, so without it every cold start
# compiles each module it imports.
BYTECODE_MODES = (f"baseline{BYTECODE}", f"{TRACED}{BYTECODE}")


class XRayDaemon:
    """Collects the UDP datagrams the X-Ray SDK sends (`{"format":"json",...}\\n{segment}`).

    It only keeps them while requests run, and reads them afterwards: the real daemon is a
    separate native process, and a listener parsing JSON meanwhile would take CPU from the
    traced code on a 2-core machine."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.address = f"127.0.0.1:{self._socket.getsockname()[1]}"
        self.datagrams: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        while not self._stop.is_set():
            try:
                self.datagrams.append(self._socket.recv(65536))
            except TimeoutError:
                continue

    def documents(self) -> list[dict[str, Any]]:
        found = []
        for datagram in list(self.datagrams):
            _, _, body = datagram.partition(b"\n")
            try:
                found.append(json.loads(body))
            except ValueError:
                continue
        return found

    def names(self) -> set[str]:
        found: set[str] = set()
        stack = self.documents()
        while stack:
            document = stack.pop()
            found.add(document.get("name", ""))
            stack.extend(document.get("subsegments", []))
        return found

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


def deployed_tree(python: str, *, bytecode: bool) -> Path | None:
    """The built InvokerFunction and SharedLayer, copied as Lambda unpacks them (`function/`,
    `layer/`), native packages rebuilt for this machine, and with `bytecode` a compiled copy
    of both (`bytecode/`); None without a build. Kept between runs while the build and the
    interpreter are the same."""
    function, layer = BUILD / "InvokerFunction", BUILD / "SharedLayer" / "python"
    if not (function.is_dir() and layer.is_dir()):
        return None
    stamp = f"{(BUILD / 'template.yaml').stat().st_mtime} {python} {bytecode}"
    if (DEPLOYED / ".stamp").is_file() and (DEPLOYED / ".stamp").read_text() == stamp:
        return DEPLOYED
    shutil.rmtree(DEPLOYED, ignore_errors=True)
    shutil.copytree(function, DEPLOYED / "function")
    shutil.copytree(layer, DEPLOYED / "layer")
    native = _foreign_native(DEPLOYED / "layer")
    if native:
        wheels = DEPLOYED / "native"
        subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--no-compile", "--only-binary=:all:", "--target", str(wheels),
             *native],
            check=True, timeout=300, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        swapped = []
        for item in wheels.iterdir():
            shutil.rmtree(DEPLOYED / "layer" / item.name, ignore_errors=True)
            shutil.move(str(item), DEPLOYED / "layer" / item.name)
            swapped.append(str(DEPLOYED / "layer" / item.name))
        if ships_bytecode(layer):
            # As layers/shared/Makefile compiled the arm64 originals.
            _compile(python, *swapped)
    compiled = DEPLOYED / "bytecode"
    for part in ("function", "layer") if bytecode else ():
        shutil.copytree(DEPLOYED / part, compiled / part)
    if bytecode:
        _compile(python, str(compiled))
    (DEPLOYED / ".stamp").write_text(stamp)
    return DEPLOYED


def ships_bytecode(layer: Path) -> bool:
    """Whether the build compiled the layer (layers/shared/Makefile does)."""
    return (layer / "boto3" / "__pycache__").is_dir()


def _compile(python: str, *paths: str) -> None:
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         *paths],
        check=True, timeout=600, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _foreign_native(layer: Path) -> list[str]:
    """`name==version` of each package in the layer built with aarch64 extension modules."""
    found = []
    for info in layer.glob("*.dist-info"):
        record = (info / "RECORD").read_text() if (info / "RECORD").is_file() else ""
        if "aarch64" in record and ".so," in record:
            name, version = info.name.removesuffix(".dist-info").split("-", 1)
            found.append(f"{name}=={version}")
    return found


def child_environment(
    runtime_url: str, tree: Path | None, *, tracing: bool, daemon: str = ""
) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "_X_AMZN", "LAMBDA_", "PYTHON"))
    }
    environment |= invoker_environment(runtime_url, tracing=tracing)
    if daemon:
        environment["AWS_XRAY_DAEMON_ADDRESS"] = daemon
    if tree:
        # /var/task, then /opt/python, as Lambda orders them.
        environment["PYTHONPATH"] = os.pathsep.join([str(tree / "function"), str(tree / "layer")])
        environment["BENCH_FUNCTION_DIR"] = environment["LAMBDA_TASK_ROOT"] = str(tree / "function")
    else:
        environment["PYTHONPATH"] = lambda_pythonpath()
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


def spawn(python: str, mode: str, environment: dict[str, str], *extra: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as folder:
        result_path = Path(folder) / "result.json"
        child_mode = "baseline" if mode.startswith("baseline") else "invoker"
        spawned = time.time()
        completed = subprocess.run(
            [python, *_flags(environment), *extra, str(CHILD), child_mode, str(result_path)],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
        if completed.returncode != 0 or not result_path.exists():
            raise RuntimeError(f"{mode} cold start failed:\n{completed.stderr[-3000:]}")
        result = json.loads(result_path.read_text())
    result["startup_s"] = result["started_wall"] - spawned
    result["end_to_end_s"] = result["done_wall"] - spawned
    result["stderr"] = completed.stderr
    return result


def _flags(environment: dict[str, str]) -> list[str]:
    """No site-packages when running the deployed tree: Lambda has only the layer's."""
    return ["-S"] if "BENCH_FUNCTION_DIR" in environment else []


def parse_importtime(stderr: str) -> dict[str, tuple[float, float]]:
    """module -> (self ms, cumulative ms) from a `python -X importtime` log."""
    found = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        found[name.strip()] = (int(own) / 1000, int(cumulative) / 1000)
    return found


def top_imports(modules: dict[str, tuple[float, float]], top: int = 12) -> list[dict[str, Any]]:
    """The heaviest imports by cumulative time, outermost first: a package is listed, not
    also each of its submodules."""
    chosen: list[dict[str, Any]] = []
    for name, (own, cumulative) in sorted(modules.items(), key=lambda item: -item[1][1]):
        if not any(name.startswith(f"{taken['module']}.") for taken in chosen):
            chosen.append({"module": name, "self_ms": own, "cumulative_ms": cumulative})
        if len(chosen) == top:
            break
    return chosen


def extra_imports(
    baseline: dict[str, tuple[float, float]],
    invoker: dict[str, tuple[float, float]],
    top: int = 12,
) -> list[dict[str, Any]]:
    """What the invoker imports that the baseline does not, by top-level package: the sum of
    those modules' own import time."""
    packages: dict[str, list[float]] = {}
    for name, (own, _) in invoker.items():
        if name not in baseline:
            total = packages.setdefault(name.split(".")[0], [0.0, 0])
            total[0] += own
            total[1] += 1
    ranked = sorted(packages.items(), key=lambda item: -item[1][0])[:top]
    return [
        {"package": name, "self_ms": total[0], "modules": int(total[1])} for name, total in ranked
    ]


def first_request_profile(python: str, environment: dict[str, str]) -> str:
    """cProfile of one invoker cold start (import and first request), by cumulative time."""
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as folder:
        result, profile = Path(folder) / "result.json", Path(folder) / "profile.txt"
        subprocess.run(
            [
                python,
                *_flags(environment),
                str(CHILD),
                "invoker",
                str(result),
                "--profile",
                str(profile),
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
            check=False,
        )
        return profile.read_text() if profile.exists() else ""


def deployment_size() -> dict[str, Any]:
    """Unzipped bytes of the invoker's (else the provider's) build and the shared layer."""
    if not BUILD.is_dir():
        return {"error": f"{BUILD} missing: run `make build` first"}
    function = next(
        (name for name in ("InvokerFunction", "ProviderFunction") if (BUILD / name).is_dir()), ""
    )
    if not function or not (BUILD / "SharedLayer").is_dir():
        return {"error": "no function or SharedLayer under .aws-sam/build"}

    def size(path: Path) -> int:
        return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())

    layer = BUILD / "SharedLayer" / "python"
    entries = layer.iterdir() if layer.is_dir() else ()
    packages = sorted(
        ((item.name, size(item) if item.is_dir() else item.stat().st_size) for item in entries),
        key=lambda pair: -pair[1],
    )
    built = (BUILD / "template.yaml").stat().st_mtime
    return {
        "function": function,
        "function_bytes": size(BUILD / function),
        "layer_bytes": size(BUILD / "SharedLayer"),
        "built": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(built)),
        "layer_top": [{"name": name, "bytes": count} for name, count in packages[:8]],
    }


def run(python: str, *, smoke: bool) -> dict[str, Any]:
    rounds = 2 if smoke else 15
    # A smoke run skips the compiled copy: compiling the layer alone outlasts it. A build whose
    # layer ships bytecode needs none: as deployed is then the compiled layer.
    layer = BUILD / "SharedLayer" / "python"
    tree = deployed_tree(python, bytecode=not smoke and not ships_bytecode(layer))
    modes = MODES + (BYTECODE_MODES if tree and (tree / "bytecode").is_dir() else ())
    samples: dict[str, list[dict[str, Any]]] = {mode: [] for mode in modes}
    daemon = XRayDaemon()
    try:
        with RuntimeServer() as server:
            environments = {
                "baseline": child_environment(server.url, tree, tracing=False),
                TRACED: child_environment(server.url, tree, tracing=True, daemon=daemon.address),
                "invoker, tracing off": child_environment(server.url, tree, tracing=False),
            }
            if BYTECODE_MODES[0] in modes and tree:
                compiled = tree / "bytecode"
                environments[BYTECODE_MODES[0]] = child_environment(
                    server.url, compiled, tracing=False
                )
                environments[BYTECODE_MODES[1]] = child_environment(
                    server.url, compiled, tracing=True, daemon=daemon.address
                )
            # One of each first: the OS's file cache warm for all, as on a warm Lambda host.
            for mode in () if smoke else modes:
                spawn(python, mode, environments[mode])
            daemon.datagrams.clear()
            for index in range(rounds):
                order = modes if index % 2 == 0 else tuple(reversed(modes))
                for mode in order:
                    samples[mode].append(spawn(python, mode, environments[mode]))
                say(f"  cold start round {index + 1}/{rounds}")
            traced = sorted(daemon.names())
            logs = {
                mode: parse_importtime(
                    spawn(python, mode, environments[mode], "-X", "importtime")["stderr"]
                )
                for mode in ("baseline", TRACED)
            }
            importtime = {
                "top": {mode: top_imports(modules) for mode, modules in logs.items()},
                "extra": extra_imports(logs["baseline"], logs[TRACED]),
                "total_self_ms": {
                    mode: sum(own for own, _ in modules.values()) for mode, modules in logs.items()
                },
            }
            profile = "" if smoke else first_request_profile(python, environments[TRACED])
    finally:
        daemon.close()
    summary = {}
    for mode, runs in samples.items():
        baseline = f"baseline{BYTECODE}" if mode.endswith(BYTECODE) else "baseline"
        base = median([sample["end_to_end_s"] for sample in samples[baseline]])
        end_to_end = median([sample["end_to_end_s"] for sample in runs])
        summary[mode] = {
            "runs": len(runs),
            "end_to_end_s": end_to_end,
            "startup_s": median([sample["startup_s"] for sample in runs]),
            "import_s": median([sample["import_s"] for sample in runs]),
            "first_request_s": median([sample["first_request_s"] for sample in runs]),
            "modules": median([sample["modules"] for sample in runs]),
            "xray_imported": all(sample["xray_imported"] for sample in runs),
            "peak_rss_mb": median([sample["peak_rss_mb"] for sample in runs]),
            "ratio": ratio(end_to_end, base),
        }
    return {
        "python": samples["baseline"][0]["python"],
        "deployed": bool(tree),
        "layer_bytecode": bool(tree) and ships_bytecode(layer),
        "summary": summary,
        "traced_subsegments": traced,
        "tracing_works": "## handler" in traced and any("sagemaker" in n.lower() for n in traced),
        "importtime": importtime,
        "profile": profile,
        "deployment": deployment_size(),
    }


def default_python() -> str:
    return os.environ.get("BENCH_COLD_PYTHON") or sys.executable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default=default_python(), help="interpreter to start")
    parser.add_argument("--smoke", action="store_true", help="2 rounds instead of 15")
    parser.add_argument("--json", help="write the results here")
    arguments = parser.parse_args()
    outcome = run(arguments.python, smoke=arguments.smoke)
    write_json(arguments.json, outcome)
    if not arguments.json:
        summary = {key: outcome[key] for key in ("python", "summary", "tracing_works")}
        say(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
