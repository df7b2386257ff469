"""template.yaml answers a lost invocation: the provider's asynchronous invocations that Lambda
gives up on reach a queue the provider reads with no more IAM than that queue, and alarms
watch it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from localaws.template import load_template

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
QUEUE = {"Fn::GetAtt": ["ProviderLostInvocationsQueue", "Arn"]}


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return load_template(TEMPLATE)["Resources"]


def test_failed_asynchronous_invocations_go_to_the_queue_without_retries(resources):
    # Given the provider's asynchronous invocation settings
    config = resources["ProviderFunction"]["Properties"]["EventInvokeConfig"]

    # Then a failed one is not retried (its timer answered already) and lands in the queue,
    # soon enough that the FAILED answer reaches a stack waiting the default hour
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumEventAgeInSeconds"] <= 3600
    assert config["DestinationConfig"]["OnFailure"] == {"Type": "SQS", "Destination": QUEUE}


def test_the_provider_reads_the_queue_and_reports_undelivered_answers(resources):
    # Given the mapping from the queue to the provider
    mapping = resources["ProviderLostInvocationsMapping"]

    # Then each record is handled alone, a failed answer stays queued, and the role's grant
    # exists before Lambda checks it
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Properties"]["FunctionName"] == {"Ref": "ProviderFunction"}
    assert mapping["Properties"]["EventSourceArn"] == QUEUE
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["DependsOn"] == "ProviderReadsLostInvocationsPolicy"


def test_reading_the_queue_is_granted_on_that_queue_only(resources):
    # Given the policy that lets the provider read the queue
    policy = resources["ProviderReadsLostInvocationsPolicy"]["Properties"]

    # Then it is the provider's role, for the three calls Lambda makes, on the one queue
    assert policy["Roles"] == [{"Ref": "ProviderFunctionRole"}]
    statement, encryption = policy["PolicyDocument"]["Statement"]
    assert sorted(statement["Action"]) == [
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
    ]
    assert statement["Resource"] == QUEUE
    # And its records' key, for Lambda's writes and reads through SQS only
    assert sorted(encryption["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert encryption["Resource"] == {"Fn::GetAtt": ["ProviderQueueKey", "Arn"]}
    assert encryption["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "sqs.${AWS::Region}.amazonaws.com"}}
    }


def test_queues_are_encrypted_and_unanswerable_records_end_in_their_own_queue(resources):
    # The records hold presigned ResponseURLs: encrypted with a rotated key of their own
    lost = resources["ProviderLostInvocationsQueue"]["Properties"]
    unanswered = resources["ProviderUnansweredQueue"]["Properties"]
    key = {"Fn::GetAtt": ["ProviderQueueKey", "Arn"]}
    assert lost["KmsMasterKeyId"] == key and unanswered["KmsMasterKeyId"] == key
    assert resources["ProviderQueueKey"]["Properties"]["EnableKeyRotation"] is True
    assert lost["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ProviderUnansweredQueue", "Arn"]
    }
    # Lambda needs at least the function's timeout; a record whose answer failed must come
    # back while its stack still waits (ServiceTimeout is at most 3600 s)
    timeout = resources["ProviderFunction"]["Properties"]["Timeout"]
    assert timeout <= lost["VisibilityTimeout"] < 3600


@pytest.mark.parametrize(
    ("alarm", "queue", "metric"),
    [
        ("ProviderLostInvocationsAlarm", "ProviderLostInvocationsQueue", "NumberOfMessagesSent"),
        (
            "ProviderUnansweredAlarm",
            "ProviderUnansweredQueue",
            "ApproximateNumberOfMessagesVisible",
        ),
    ],
)
def test_an_alarm_fires_on_the_first_record(resources, alarm, queue, metric):
    properties = resources[alarm]["Properties"]
    assert properties["Namespace"] == "AWS/SQS"
    assert properties["MetricName"] == metric
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}
    ]
    assert (properties["Threshold"], properties["ComparisonOperator"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
    )
