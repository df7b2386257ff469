"""One cold start, in the fresh process that runs this file: `bench.cold_start` spawns it.

    python bench/cold_child.py {baseline|invoker} RESULT.json [--profile PROFILE.txt]

`baseline` imports boto3, builds a sagemaker-runtime client and makes one InvokeEndpoint call;
`invoker` imports the function's app.py (BENCH_FUNCTION_DIR: the built function, else
functions/invoker) as Lambda (and localaws.functions.load_function) does and hands its handler
one Function URL request carrying the same payload. Both read the endpoint URL and everything
else from the environment the parent sets; the result includes the process's peak RSS. Only
the standard library is imported before the clock starts, and nothing from bench/, so neither
pays for the harness.
"""

import time

STARTED_WALL = time.time()
STARTED = time.perf_counter()

import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

CODE_ROOT = Path(os.environ.get("BENCH_CODE_ROOT") or Path(__file__).resolve().parent.parent)
FUNCTION_DIR = Path(os.environ.get("BENCH_FUNCTION_DIR") or CODE_ROOT / "functions" / "invoker")
PAYLOAD = b'{"instances": [[0.3, 12, 1, 0]]}'


class Context:
    function_name = "invoker"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:invoker"
    memory_limit_in_mb = 512
    function_version = "$LATEST"
    log_group_name = "/aws/lambda/invoker"
    log_stream_name = "2026/01/01/[$LATEST]0123456789abcdef"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._started = time.monotonic()

    def get_remaining_time_in_millis(self) -> int:
        return int((60 - (time.monotonic() - self._started)) * 1000)


def function_url_event() -> dict:
    """The repository's Function URL event (events/), carrying the benchmark's payload."""
    event = json.loads(
        (Path(__file__).resolve().parent.parent / "events" / "invoke-function-url.json").read_text()
    )
    event["headers"] = {"content-type": "application/json", "accept": "application/json"}
    event.update(body=PAYLOAD.decode(), isBase64Encoded=False)
    return event


def baseline() -> tuple[float, bytes]:
    import boto3

    imported = time.perf_counter()
    client = boto3.client("sagemaker-runtime")
    response = client.invoke_endpoint(
        EndpointName=os.environ["SAGEMAKER_ENDPOINT_NAME"],
        Body=PAYLOAD,
        ContentType="application/json",
        Accept="application/json",
    )
    return imported, response["Body"].read()


def invoker() -> tuple[float, bytes]:
    spec = importlib.util.spec_from_file_location("invoker_app", FUNCTION_DIR / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported = time.perf_counter()
    answer = module.handler(function_url_event(), Context())
    if answer.get("statusCode") != 200:
        raise SystemExit(f"invoker answered {answer}")
    return imported, answer["body"].encode()


def main() -> None:
    mode, result_path = sys.argv[1], sys.argv[2]
    profile_path = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--profile" else None
    run = {"baseline": baseline, "invoker": invoker}[mode]
    if profile_path:
        import cProfile
        import io
        import pstats

        profiler = cProfile.Profile()
        imported, body = profiler.runcall(run)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
        Path(profile_path).write_text(out.getvalue())
    else:
        imported, body = run()
    done = time.perf_counter()
    done_wall = time.time()
    if body != PAYLOAD:
        raise SystemExit(f"{mode}: the answer is not the echo: {body!r}")
    result = {
        "mode": mode,
        "python": sys.version.split()[0],
        "started_wall": STARTED_WALL,
        "done_wall": done_wall,
        "import_s": imported - STARTED,
        "first_request_s": done - imported,
        "script_s": done - STARTED,
        "modules": len(sys.modules),
        # Linux reports kilobytes.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "xray_imported": "aws_xray_sdk.core" in sys.modules,
    }
    Path(result_path).write_text(json.dumps(result))
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown: Lambda freezes the process after the answer, it never exits.
    os._exit(0)


if __name__ == "__main__":
    main()
