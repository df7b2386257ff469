"""What `make sam-local-invoke` hands `sam local invoke`: events/local-env.json, the local
template, and events whose ResponseURL is the local AWS. The container itself needs Docker or
Finch; here the provider runs in-process with exactly that environment and those events."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from localaws.cloudformation import LocalLambda
from localaws.functions import load_function, provider_environment
from localaws.sagemaker import SimulatorSettings
from localaws.sam_local import CA_NAME, LOCAL_VARIABLES, local_template, response
from localaws.server import RESPONSE_BUCKET, LocalAws
from localaws.template import load_template

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events"
LOCAL_ENV = json.loads((EVENTS / "local-env.json").read_text())
CONTAINER_HOST = "host.docker.internal"


def test_every_variable_of_the_env_file_is_declared_in_the_local_template():
    # Given the template as sam build leaves it (the source one has the same functions)
    template = json.loads(json.dumps(load_template(ROOT / "template.yaml")))
    globals_ = template["Globals"]["Function"]["Environment"]["Variables"]

    # When it is made local
    resources = local_template(template)["Resources"]

    # Then sam local invoke will pass every variable the env file sets (it ignores undeclared
    # ones), and the deployed template itself declares none of the local ones
    for function, variables in LOCAL_ENV.items():
        declared = {**globals_, **resources[function]["Properties"]["Environment"]["Variables"]}
        assert set(variables) <= set(declared), function
        own = template["Resources"][function]["Properties"].get("Environment", {})
        assert not set(LOCAL_VARIABLES) & set(own.get("Variables", {}))


def test_the_request_events_answer_to_the_local_aws():
    for name in ("create", "update", "delete"):
        url = json.loads((EVENTS / f"{name}.json").read_text())["ResponseURL"]
        assert url.startswith(f"https://{CONTAINER_HOST}:5000/{RESPONSE_BUCKET}/{name}?")


@pytest.fixture
def https_aws(tmp_path):
    """The local AWS as `make sam-local-aws` serves it, with the authority the container
    would find in /var/task."""
    with LocalAws(
        settings=SimulatorSettings(create_seconds=0.2, delete_seconds=0.1),
        ca_file=str(tmp_path / CA_NAME),
    ) as aws:
        yield aws


def as_on_this_machine(value: str, aws: LocalAws, task_root: Path) -> str:
    """What the container reaches by host.docker.internal and /var/task, on this machine."""
    port = aws.endpoint_url.rsplit(":", 1)[1]
    value = value.replace(f"{CONTAINER_HOST}:5000", f"127.0.0.1:{port}")
    return value.replace("/var/task/", f"{task_root}/")


def test_the_provider_answers_the_events_into_the_local_aws(https_aws, tmp_path, monkeypatch):
    # Given the provider with the env file's variables (beside what the template gives it)
    base = provider_environment(
        https_aws.endpoint_url, https_aws.ca_file, poll_interval=0.05, handoff_margin=1
    )
    for key, value in {**base, **LOCAL_ENV["ProviderFunction"]}.items():
        monkeypatch.setenv(key, as_on_this_machine(value, https_aws, tmp_path))
    s3 = boto3.client("s3", verify=https_aws.ca_file)
    s3.create_bucket(Bucket=RESPONSE_BUCKET)
    lambda_ = LocalLambda(load_function("provider").handler)

    # When CloudFormation's create and delete events arrive as sam local invoke -e sends them
    for name in ("create", "delete"):
        event = json.loads((EVENTS / f"{name}.json").read_text())
        event["ResponseURL"] = as_on_this_machine(event["ResponseURL"], https_aws, tmp_path)
        lambda_.invoke(event)

    # Then each answer is in the local AWS's S3, where `make sam-local-response` reads it
    created = response("create", https_aws.endpoint_url, Path(https_aws.ca_file))
    deleted = response("delete", https_aws.endpoint_url, Path(https_aws.ca_file))
    assert created["Status"] == "SUCCESS", created
    assert (
        created["Data"]["EndpointName"] == LOCAL_ENV["InvokerFunction"]["SAGEMAKER_ENDPOINT_NAME"]
    )
    assert (deleted["Status"], deleted["PhysicalResourceId"]) == (
        "SUCCESS",
        created["PhysicalResourceId"],
    )
