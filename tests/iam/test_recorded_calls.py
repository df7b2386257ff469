"""Every AWS call the functions make, in the integration tests and the demo, is one their
roles in template.yaml allow; so is what SageMaker does with the default execution role for
the features those calls enable (tests/iam/checks.py)."""

from __future__ import annotations

import contextlib
import io
import os
import types
import urllib.request
from pathlib import Path

import pytest
from botocore.stub import ANY, Stubber

# The functions' shared logger is made on first import, with the level in the environment
# then: imported here, at collection, it gets the session's and not the demo's CRITICAL.
import endpoint_common.observability  # noqa: F401
from localaws import demo
from localaws.cloudformation import (
    ACCOUNT_ID,
    REGION,
    CloudFormation,
    LocalLambda,
    ResponseCollector,
)
from localaws.functions import load_function, provider_environment
from localaws.server import LocalAws
from localaws.template import load_template
from tests.iam.checks import DEPLOYMENT, Checker
from tests.iam.template_policies import function_of
from tests.support.demo import SIMULATED

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PROVIDER_ARN = (
    f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{DEPLOYMENT.refs['ProviderFunction']}"
)


@pytest.fixture
def restored_environment():
    """The demo and the functions set variables as Lambda would; other tests must not see them."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def empty_account():
    """moto keeps its accounts per process; the demo expects the fresh one `make demo` has."""
    with LocalAws() as aws:
        aws.reset()


def recorded_since(recorder, start):
    return recorder.calls[start:]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_the_demo_plays_with_every_call_recorded(
    example, call_recorder, empty_account, restored_environment
):
    # Given the recorder, and the calls made so far
    start = len(call_recorder.calls)

    # When the demo plays the example in this process, with its own timings on simulated time,
    # so that it makes the same calls in every run (its output, and that of any log handler
    # made meanwhile, into a buffer that outlives the test)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exit_code = demo.main([str(example), *SIMULATED])

    # Then it passes as `make demo` does (for most examples this is the only full play;
    # tests/integration/test_demo.py runs `python -m localaws.demo` itself on a few), and both
    # functions' calls were recorded
    printed = output.getvalue()
    assert exit_code == 0, printed
    assert "CREATE_COMPLETE" in printed and "DELETE_COMPLETE" in printed
    assert "nothing left in SageMaker" in printed
    assert " -> 200 " in printed
    functions = {
        function_of(call.code_file, call.code_name) for call in recorded_since(call_recorder, start)
    }
    assert {"ProviderFunction", "InvokerFunction"} <= functions


def test_the_s3_prefix_list_lookup_answers_with_its_calls_recorded(
    call_recorder, restored_environment
):
    # Given the lookup function's inline code, run under its own name as Lambda would
    template = load_template(ROOT / "template.yaml")
    code = template["Resources"]["S3PrefixListLookupFunction"]["Properties"]["InlineCode"]
    module = types.ModuleType("s3_prefix_list_lookup")
    exec(compile(code, "<inline:S3PrefixListLookupFunction>", "exec"), module.__dict__)
    start = len(call_recorder.calls)

    with LocalAws() as aws, ResponseCollector() as collector:
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": aws.endpoint_url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "SSL_CERT_FILE": collector.ca_file,
            }
        )
        # urllib's shared opener keeps the certificates trusted when it was first used; a
        # fresh Lambda process has none yet, so the collector's certificate counts.
        urllib.request.install_opener(None)
        # When CloudFormation creates the Custom::S3PrefixList
        cloudformation = CloudFormation(LocalLambda(module.handler), collector, "provider")
        response = cloudformation.create(
            "S3PrefixList", {"PrefixListName": f"com.amazonaws.{REGION}.s3"}
        )

    # Then it answers with the prefix list, and its DescribePrefixLists call was recorded
    assert response.status == "SUCCESS", response.reason
    assert response.data["PrefixListId"].startswith("pl-")
    operations = [
        (function_of(call.code_file, call.code_name), call.operation)
        for call in recorded_since(call_recorder, start)
    ]
    assert operations == [("S3PrefixListLookupFunction", "DescribePrefixLists")]


def test_a_hand_off_invokes_the_provider_itself_with_the_call_recorded(
    call_recorder, restored_environment
):
    # Given the provider as Lambda loads it (the integration tests and the demo replace its
    # continuation by a local Lambda, so this is where the real one is exercised)
    os.environ.update(
        provider_environment("http://127.0.0.1:9", "", poll_interval=1, handoff_margin=60)
    )
    app = load_function("provider")
    continuation = app.continuation()
    start = len(call_recorder.calls)

    # When it hands a request off to a fresh invocation of itself
    with Stubber(app.handoff_clients.lambda_) as lambda_:
        lambda_.add_response(
            "invoke",
            {"StatusCode": 202},
            {"FunctionName": PROVIDER_ARN, "InvocationType": "Event", "Payload": ANY},
        )
        continuation.schedule(PROVIDER_ARN, {"RequestType": "Create"})

    # Then the asynchronous Invoke of its own ARN was recorded
    (call,) = recorded_since(call_recorder, start)
    assert (function_of(call.code_file, call.code_name), call.operation) == (
        "ProviderFunction",
        "Invoke",
    )
    assert call.params["FunctionName"] == PROVIDER_ARN


def test_calls_are_told_apart_by_handler_when_functions_share_their_code(tmp_path):
    # Given two functions built from one folder, and an inline one
    template = tmp_path / "template.yaml"
    template.write_text(
        """
Resources:
  Provider:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/provider/, Handler: app.handler}
  LostHandOffs:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/provider/, Handler: failures.on_lost_hand_off}
  Lookup:
    Type: AWS::Serverless::Function
    Properties: {InlineCode: "def handler(event, context): pass", Handler: index.handler}
"""
    )

    def who(code_file, code_name):
        return function_of(code_file, code_name, template)

    # Then each handler names its function, and shared code run from elsewhere names none
    assert who("functions/provider/app.py", "handler") == "Provider"
    assert who("functions/provider/failures.py", "on_lost_hand_off") == "LostHandOffs"
    assert who("<inline:Lookup>", "handler") == "Lookup"
    assert who("functions/provider/endpoint_provider/cloudformation/handoff.py", "schedule") is None


def test_every_recorded_call_is_granted(call_recorder, iam_report):
    # Given every call the functions made in this session (this test runs last)
    calls = list(call_recorder.calls)

    # When each is evaluated against its function's role, as deployed for the tests
    report = Checker().check_calls(calls)
    iam_report.extend(report.lines())

    # Then every function was exercised, and IAM would refuse none of it
    assert {"ProviderFunction", "InvokerFunction", "S3PrefixListLookupFunction"} <= set(
        report.calls
    )
    assert not report.findings, summary(report.findings)


def summary(findings) -> str:
    """One line per refused action and function, with a count and the first example."""
    groups: dict[tuple[str, str, str], list] = {}
    for finding in findings:
        groups.setdefault((finding.kind, finding.who, finding.action), []).append(finding)
    return "\n".join(
        f"{len(items)} x {items[0]}" for _, items in sorted(groups.items(), key=lambda g: g[0])
    )
