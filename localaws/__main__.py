"""Run moto with the SageMaker simulator in the foreground: `python -m localaws --port 5000`.

Run it with the project's virtualenv (`make local-aws`, or `.venv/bin/python -m localaws`):
another moto than the pinned one does not carry the simulator.
"""

import argparse
import contextlib
import threading
from collections.abc import Sequence

import boto3

from localaws.sagemaker import SimulatorSettings
from localaws.server import RESPONSE_BUCKET, LocalAws


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    settings = SimulatorSettings(
        create_seconds=args.create_seconds,
        update_seconds=args.update_seconds,
        delete_seconds=args.delete_seconds,
        async_seconds=args.async_seconds,
        time_scale=args.time_scale,
        policy_wait_scale=args.policy_wait_scale,
    )
    local = LocalAws(port=args.port, host=args.host, settings=settings, ca_file=args.ca_file)
    with local as aws:
        boto3.client(
            "s3",
            endpoint_url=aws.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            verify=args.ca_file,
        ).create_bucket(Bucket=RESPONSE_BUCKET)
        trust = f"; clients trust {args.ca_file}" if args.ca_file else ""
        print(
            f"Local AWS with simulated SageMaker at {aws.endpoint_url}{trust} (Ctrl-C stops it)",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


def _parser() -> argparse.ArgumentParser:
    defaults = SimulatorSettings()
    parser = argparse.ArgumentParser(prog="python -m localaws", description=__doc__)
    parser.add_argument("--port", type=int, default=5000, help="0 picks a free port")
    parser.add_argument(
        "--host", default="127.0.0.1", help="0.0.0.0 lets containers (sam local) reach it"
    )
    parser.add_argument(
        "--ca-file",
        help="serve HTTPS, writing the certificate authority clients must trust to this file "
        "(sam local: crhelper answers a ResponseURL over HTTPS only)",
    )
    parser.add_argument("--create-seconds", type=float, default=defaults.create_seconds)
    parser.add_argument("--update-seconds", type=float, default=defaults.update_seconds)
    parser.add_argument("--delete-seconds", type=float, default=defaults.delete_seconds)
    parser.add_argument(
        "--async-seconds",
        type=float,
        default=defaults.async_seconds,
        help="how long an InvokeEndpointAsync takes before its result is in S3",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=defaults.time_scale,
        help="multiplies every simulated duration",
    )
    parser.add_argument(
        "--policy-wait-scale",
        type=float,
        default=defaults.policy_wait_scale,
        help="multiplies deployment policies' wait and bake times (0 ignores them)",
    )
    return parser


if __name__ == "__main__":
    main()
