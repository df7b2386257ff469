"""`make sam-local-invoke`: the built template, made ready for `sam local invoke` against the
local AWS (`make sam-local-aws`), and the answers CloudFormation would have received.

`sam local invoke --env-vars` sets only the variables a function's template declares, and the
ones that point a function at the local AWS (AWS_ENDPOINT_URL, and the certificate authority
botocore and crhelper must trust) are declared nowhere in a deployed stack. So they are
declared here, empty, on a copy of the built template (`template.local.json`), for
events/local-env.json to fill; and the local AWS's certificate authority is copied into each
built function, which the container sees as /var/task.

What a deployed stack creates and the local AWS does not is created in it here: the invoker's
async payload bucket (ASYNC_BUCKET in events/local-env.json), without which the async path
fails with NoSuchBucket.
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from localaws.server import RESPONSE_BUCKET
from localaws.template import TemplateError, load_template

LOCAL_ENV = Path(__file__).resolve().parent.parent / "events" / "local-env.json"
LOCAL_VARIABLES = ("AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "SSL_CERT_FILE")
CA_NAME = "localaws-ca.pem"
LOCAL_TEMPLATE = "template.local.json"
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


def local_template(template: dict[str, Any]) -> dict[str, Any]:
    """The template with LOCAL_VARIABLES declared (empty) on every function built from code."""
    local = copy.deepcopy(template)
    for spec in local.get("Resources", {}).values():
        properties = spec.get("Properties", {})
        if spec.get("Type") in FUNCTION_TYPES and "CodeUri" in properties:
            variables = properties.setdefault("Environment", {}).setdefault("Variables", {})
            for name in LOCAL_VARIABLES:
                variables.setdefault(name, "")
    return local


def prepare(build_dir: Path, ca_file: Path) -> Path:
    if not (build_dir / "template.yaml").exists():
        raise SystemExit(f"no {build_dir}/template.yaml: run `make build` (needs python3.13)")
    if not ca_file.exists():
        raise SystemExit(f"no {ca_file}: start the local AWS first, `make sam-local-aws`")
    # Plain JSON types: the decoder's nodes carry line numbers json.dumps does not need.
    template = json.loads(json.dumps(load_template(build_dir / "template.yaml")))
    local = local_template(template)
    for spec in local["Resources"].values():
        code = spec.get("Properties", {}).get("CodeUri")
        if spec.get("Type") in FUNCTION_TYPES and isinstance(code, str):
            shutil.copyfile(ca_file, build_dir / code / CA_NAME)
    path = build_dir / LOCAL_TEMPLATE
    path.write_text(json.dumps(local, indent=1))
    return path


def create_payload_bucket(endpoint_url: str, verify: str | bool) -> str:
    """The invoker's async payload bucket in the local AWS (the stack's AsyncPayloadBucket,
    named as events/local-env.json gives it to the invoker); there already is fine."""
    bucket: str = json.loads(LOCAL_ENV.read_text())["InvokerFunction"]["ASYNC_BUCKET"]
    try:
        _local_s3(endpoint_url, verify).create_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    return bucket


def response(name: str, endpoint_url: str, ca_file: Path) -> dict[str, Any]:
    """The answer a function PUT to https://.../cloudformation-responses/<name>."""
    s3 = _local_s3(endpoint_url, str(ca_file))
    return json.loads(s3.get_object(Bucket=RESPONSE_BUCKET, Key=name)["Body"].read())


def _local_s3(endpoint_url: str, verify: str | bool) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        verify=verify,
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m localaws.sam_local", description=__doc__)
    parser.add_argument("--build-dir", type=Path, default=Path(".aws-sam/build"))
    parser.add_argument("--ca-file", type=Path, default=Path(".aws-sam/localaws-ca.pem"))
    parser.add_argument("--endpoint-url", default="https://127.0.0.1:5000")
    parser.add_argument(
        "--response", metavar="NAME", help="print the answer to ResponseURL .../NAME and exit"
    )
    args = parser.parse_args(argv)
    try:
        if args.response:
            print(json.dumps(response(args.response, args.endpoint_url, args.ca_file), indent=2))
        else:
            print(prepare(args.build_dir, args.ca_file))
            create_payload_bucket(args.endpoint_url, str(args.ca_file))
    except TemplateError as error:
        sys.exit(str(error))
    except (BotoCoreError, ClientError) as error:
        if args.response:
            sys.exit(f"no answer for {args.response} at {args.endpoint_url}: {error}")
        sys.exit(
            f"cannot create the invoker's payload bucket at {args.endpoint_url} ({error}): "
            "is `make sam-local-aws` running?"
        )


if __name__ == "__main__":
    main()
