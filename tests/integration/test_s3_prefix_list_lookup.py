"""The inline S3 prefix-list lookup of template.yaml, run as Lambda runs it (crhelper from the
shared layer), answers CloudFormation once per request over the local HTTPS ResponseURL."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from localaws.cloudformation import CloudFormation, LocalLambda
from localaws.functions import provider_environment
from localaws.template import load_template

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
S3_LIST = "com.amazonaws.us-east-1.s3"


@pytest.fixture
def lookup(local_aws, collector, monkeypatch):
    environment = provider_environment(
        local_aws.endpoint_url, collector.ca_file, poll_interval=1, handoff_margin=1
    )
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    code = load_template(TEMPLATE)["Resources"]["S3PrefixListLookupFunction"]["Properties"]
    module = types.ModuleType("index")
    exec(compile(code["InlineCode"], "index.py", "exec"), module.__dict__)
    return CloudFormation(LocalLambda(module.handler), collector, stack_name="provider")


def test_the_lookup_answers_the_s3_prefix_list_id_under_a_stable_physical_id(lookup):
    # When CloudFormation creates, then deletes, the lookup
    created = lookup.create("S3PrefixList", {"PrefixListName": S3_LIST})
    deleted = lookup.delete("S3PrefixList", created.physical_id, {"PrefixListName": S3_LIST})

    # Then the create answers the region's S3 prefix list, and the delete its own physical ID
    assert created.status == "SUCCESS", created.reason
    assert created.data["PrefixListId"].startswith("pl-")
    assert (deleted.status, deleted.physical_id) == ("SUCCESS", created.physical_id)


def test_a_missing_prefix_list_fails_with_its_name(lookup):
    # When the lookup asks for a list the region does not have
    failed = lookup.create("S3PrefixList", {"PrefixListName": "com.amazonaws.nowhere.s3"})

    # Then CloudFormation is told which, without waiting for a timeout
    assert failed.status == "FAILED"
    assert failed.reason == "no AWS-managed prefix list named com.amazonaws.nowhere.s3"
