"""Custom::SageMakerEndpoint through its real handler, as CloudFormation drives it."""

from __future__ import annotations

import copy
import io
import json

import pytest

from endpoint_provider.naming import TAG_PREFIX
from tests.support.events import load_event

LOGICAL_ID = "ChurnEndpoint"
MUTATING = ("CreateModel", "CreateEndpointConfig", "CreateEndpoint", "UpdateEndpoint")


@pytest.fixture
def properties():
    props = copy.deepcopy(load_event("create.json")["ResourceProperties"])
    del props["ServiceToken"]
    return props


def with_model(props, version):
    changed = copy.deepcopy(props)
    changed["PrimaryContainer"]["ModelDataUrl"] = (
        f"s3://sagemaker-churn-models/churn/{version}/model.tar.gz"
    )
    return changed


def with_image(props, image):
    changed = copy.deepcopy(props)
    changed["PrimaryContainer"]["Image"] = image
    return changed


def inventory(sagemaker):
    return {
        "endpoints": sorted(e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]),
        "configs": sorted(
            c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]
        ),
        "models": sorted(m["ModelName"] for m in sagemaker.list_models()["Models"]),
    }


def hand_made_endpoint(sagemaker, name):
    """An endpoint created outside any stack: no ownership tags. Returns its ARN."""
    sagemaker.create_model(
        ModelName="hand-made",
        ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
        PrimaryContainer={"Image": "img"},
    )
    variant = {"VariantName": "AllTraffic", "ModelName": "hand-made"}
    sagemaker.create_endpoint_config(
        EndpointConfigName="hand-made",
        ProductionVariants=[{**variant, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}],
    )
    return sagemaker.create_endpoint(EndpointName=name, EndpointConfigName="hand-made")[
        "EndpointArn"
    ]


def assert_valid_response(response, event_request_id=None):
    assert response.size < 4096
    assert response.physical_id
    assert set(response.body) >= {
        "Status",
        "PhysicalResourceId",
        "StackId",
        "RequestId",
        "LogicalResourceId",
    }
    if event_request_id:
        assert response.body["RequestId"] == event_request_id


def test_create_answers_success_with_the_endpoint_arn_and_attributes(
    cloudformation, sagemaker, properties, local_aws
):
    # When CloudFormation creates the resource
    response = cloudformation.create(LOGICAL_ID, properties)

    # Then it succeeds with the endpoint ARN as physical ID (Ref) and names for Fn::GetAtt
    assert response.status == "SUCCESS", response.reason
    assert_valid_response(response)
    endpoint = sagemaker.describe_endpoint(EndpointName=response.data["EndpointName"])
    assert response.physical_id == endpoint["EndpointArn"] == response.data["EndpointArn"]
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == response.data["EndpointConfigName"]
    assert inventory(sagemaker) == {
        "endpoints": [response.data["EndpointName"]],
        "configs": [response.data["EndpointConfigName"]],
        "models": [response.data["ModelName"]],
    }
    # And everything carries the user's tags and the owner's
    tags = {
        t["Key"]: t["Value"]
        for t in sagemaker.list_tags(ResourceArn=endpoint["EndpointArn"])["Tags"]
    }
    assert tags["team"] == "churn"
    assert tags[f"{TAG_PREFIX}logical-id"] == LOGICAL_ID
    assert tags[f"{TAG_PREFIX}stack-id"] == cloudformation.stack_id


def test_failed_create_reports_sagemakers_reason_and_its_rollback_delete_cleans_up(
    cloudformation, sagemaker, properties
):
    # Given an image whose container never passes the health check
    broken = with_image(properties, "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:fail")

    # When CloudFormation creates the resource
    response = cloudformation.create(LOGICAL_ID, broken)

    # Then it fails with SageMaker's FailureReason and names the endpoint it made
    assert response.status == "FAILED"
    assert "did not pass the ping health check" in response.reason
    assert "log stream" in response.reason
    assert response.physical_id.startswith("arn:aws:sagemaker:us-east-1:123456789012:endpoint/")
    assert inventory(sagemaker)["endpoints"]

    # When CloudFormation rolls back with a Delete of that ID
    rollback = cloudformation.delete(LOGICAL_ID, response.physical_id, broken)

    # Then it succeeds and nothing is left
    assert rollback.status == "SUCCESS", rollback.reason
    assert inventory(sagemaker) == {"endpoints": [], "configs": [], "models": []}


def test_rollback_delete_of_a_placeholder_id_succeeds(cloudformation, properties, local_aws):
    # Given the ID crhelper invents when a Create fails before naming anything
    placeholder = "churn-model_ChurnEndpoint_AB12CD34"

    # When CloudFormation deletes it
    response = cloudformation.delete(LOGICAL_ID, placeholder, properties)

    # Then it succeeds with the same ID and without touching SageMaker's endpoints
    assert response.status == "SUCCESS"
    assert response.physical_id == placeholder
    assert "DeleteEndpoint" not in local_aws.simulator.operations()


def test_a_model_change_updates_in_place_and_removes_what_it_superseded(
    cloudformation, sagemaker, properties, local_aws
):
    # Given a created endpoint
    created = cloudformation.create(LOGICAL_ID, properties)

    # When the model data changes
    v2 = with_model(properties, "v2")
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, v2, properties)

    # Then the same endpoint runs a new config and model, verified InService
    assert updated.status == "SUCCESS", updated.reason
    assert updated.physical_id == created.physical_id
    assert updated.data["EndpointConfigName"] != created.data["EndpointConfigName"]
    endpoint = sagemaker.describe_endpoint(EndpointName=created.data["EndpointName"])
    assert (endpoint["EndpointStatus"], endpoint["EndpointConfigName"]) == (
        "InService",
        updated.data["EndpointConfigName"],
    )
    # And the superseded config and model are gone, removed only after the switch
    assert inventory(sagemaker) == {
        "endpoints": [created.data["EndpointName"]],
        "configs": [updated.data["EndpointConfigName"]],
        "models": [updated.data["ModelName"]],
    }
    assert local_aws.simulator.misuse == []
    operations = local_aws.simulator.operations()
    assert operations.index("UpdateEndpoint") < operations.index("DeleteEndpointConfig")


def test_tags_change_in_place_without_touching_the_endpoint(
    cloudformation, sagemaker, properties, local_aws
):
    # Given a created endpoint
    created = cloudformation.create(LOGICAL_ID, properties)

    # When only its tags change
    retagged = copy.deepcopy(properties)
    retagged["Tags"] = [{"Key": "owner", "Value": "ml-platform"}]
    updated = cloudformation.update(LOGICAL_ID, created.physical_id, retagged, properties)

    # Then the endpoint keeps its config and gets the new tags, the old user tag removed
    assert updated.status == "SUCCESS", updated.reason
    assert "UpdateEndpoint" not in local_aws.simulator.operations()
    tags = {
        t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=created.physical_id)["Tags"]
    }
    assert tags["owner"] == "ml-platform"
    assert "team" not in tags
    assert tags[f"{TAG_PREFIX}logical-id"] == LOGICAL_ID


def test_a_rolled_back_update_fails_with_its_reason_and_the_rollback_update_succeeds(
    cloudformation, sagemaker, properties, local_aws
):
    # Given a created endpoint
    created = cloudformation.create(LOGICAL_ID, properties)

    # When an update brings an image that fails its health check (SageMaker rolls back)
    broken = with_image(properties, "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:fail")
    failed = cloudformation.update(LOGICAL_ID, created.physical_id, broken, properties)

    # Then the update is FAILED with SageMaker's reason, although the endpoint is InService
    assert failed.status == "FAILED"
    assert "update rolled back" in failed.reason and "ping health check" in failed.reason
    assert failed.physical_id == created.physical_id
    endpoint = sagemaker.describe_endpoint(EndpointName=created.data["EndpointName"])
    assert endpoint["EndpointConfigName"] == created.data["EndpointConfigName"]
    # And the config and model made for the failed update are gone
    assert inventory(sagemaker)["configs"] == [created.data["EndpointConfigName"]]
    assert inventory(sagemaker)["models"] == [created.data["ModelName"]]

    # When CloudFormation rolls back with the properties swapped
    rollback = cloudformation.update(LOGICAL_ID, created.physical_id, properties, broken)

    # Then it succeeds at once, reusing what still runs
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == created.physical_id
    assert len(local_aws.simulator.calls_to("UpdateEndpoint")) == 1


def test_the_rollback_of_an_update_with_invalid_properties_succeeds(
    cloudformation, properties, local_aws
):
    # Given a created endpoint and an update rejected for its properties
    created = cloudformation.create(LOGICAL_ID, properties)
    invalid = copy.deepcopy(properties)
    invalid["ProductionVariants"][0]["InitialInstanceCount"] = "0"
    rejected = cloudformation.update(LOGICAL_ID, created.physical_id, invalid, properties)
    assert rejected.status == "FAILED"

    # When CloudFormation rolls back (old properties are the invalid ones)
    rollback = cloudformation.update(LOGICAL_ID, created.physical_id, properties, invalid)

    # Then it succeeds without changing the endpoint
    assert rollback.status == "SUCCESS", rollback.reason
    assert "UpdateEndpoint" not in local_aws.simulator.operations()


def test_a_new_endpoint_name_replaces_and_the_old_is_deleted_afterwards(
    cloudformation, sagemaker, properties
):
    # Given a created endpoint
    created = cloudformation.create(LOGICAL_ID, properties)

    # When its EndpointName changes
    renamed = copy.deepcopy(properties)
    renamed["EndpointName"] = "churn-renamed"
    replaced = cloudformation.update(LOGICAL_ID, created.physical_id, renamed, properties)

    # Then a new endpoint answers with a new physical ID
    assert replaced.status == "SUCCESS", replaced.reason
    assert replaced.physical_id != created.physical_id
    assert replaced.data["EndpointName"] == "churn-renamed"
    assert sorted(inventory(sagemaker)["endpoints"]) == sorted(
        [created.data["EndpointName"], "churn-renamed"]
    )

    # When CloudFormation deletes the old one during cleanup
    cleanup = cloudformation.delete(LOGICAL_ID, created.physical_id, properties)

    # Then only the new endpoint and its config and model remain
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert inventory(sagemaker) == {
        "endpoints": ["churn-renamed"],
        "configs": [replaced.data["EndpointConfigName"]],
        "models": [replaced.data["ModelName"]],
    }


def test_a_failed_replacement_removes_the_new_endpoint_and_keeps_the_old(
    cloudformation, sagemaker, properties
):
    # Given a created endpoint
    created = cloudformation.create(LOGICAL_ID, properties)

    # When a rename comes with an image that fails
    renamed = with_image(properties, "churn:fail")
    renamed["EndpointName"] = "churn-renamed"
    failed = cloudformation.update(LOGICAL_ID, created.physical_id, renamed, properties)

    # Then the update fails, the half-made endpoint is gone and the old one untouched
    assert failed.status == "FAILED"
    assert "ping health check" in failed.reason
    assert failed.physical_id == created.physical_id
    assert inventory(sagemaker) == {
        "endpoints": [created.data["EndpointName"]],
        "configs": [created.data["EndpointConfigName"]],
        "models": [created.data["ModelName"]],
    }


def test_a_redelivered_create_creates_nothing_twice(
    cloudformation, lambda_service, collector, sagemaker, properties, local_aws
):
    # Given a Create request
    event = cloudformation.request("Create", LOGICAL_ID, properties)

    # When Lambda delivers it twice (a retry after a lost invocation)
    lambda_service.invoke(event)
    lambda_service.invoke(event)

    # Then both deliveries answer SUCCESS with the same ID, and one of each resource exists
    responses = collector.responses(event["RequestId"])
    assert [r.status for r in responses] == ["SUCCESS", "SUCCESS"]
    assert responses[0].physical_id == responses[1].physical_id
    found = inventory(sagemaker)
    assert (len(found["endpoints"]), len(found["configs"]), len(found["models"])) == (1, 1, 1)
    assert len(local_aws.simulator.calls_to("CreateEndpoint")) == 2


def test_delete_of_a_missing_endpoint_succeeds(cloudformation, properties):
    # Given an endpoint ARN nothing answers to
    arn = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/already-gone"

    # When deleted, Then it succeeds with that ID
    response = cloudformation.delete(LOGICAL_ID, arn, properties)
    assert (response.status, response.physical_id) == ("SUCCESS", arn)


def test_delete_leaves_a_foreign_endpoint_alone(cloudformation, sagemaker, properties, local_aws):
    # Given an endpoint someone created by hand, without this stack's ownership tags
    arn = hand_made_endpoint(sagemaker, "hand-made")

    # When a Delete names it
    response = cloudformation.delete(LOGICAL_ID, arn, properties)

    # Then it succeeds and the endpoint still exists
    assert response.status == "SUCCESS"
    assert inventory(sagemaker)["endpoints"] == ["hand-made"]
    assert "DeleteEndpoint" not in local_aws.simulator.operations()


def test_create_refuses_to_adopt_a_foreign_endpoint_of_the_same_name(
    cloudformation, sagemaker, properties
):
    # Given a hand-made endpoint with the name the resource asks for
    hand_made_endpoint(sagemaker, "churn")
    named = copy.deepcopy(properties)
    named["EndpointName"] = "churn"

    # When the resource is created
    response = cloudformation.create(LOGICAL_ID, named)

    # Then it fails saying why, and its rollback Delete leaves the foreign endpoint alone
    assert response.status == "FAILED"
    assert "already exists and is not managed by ChurnEndpoint" in response.reason
    rollback = cloudformation.delete(LOGICAL_ID, response.physical_id, named)
    assert rollback.status == "SUCCESS"
    assert inventory(sagemaker) == {
        "endpoints": ["churn"],
        "configs": ["hand-made"],
        "models": ["hand-made"],
    }


def test_delete_waits_out_a_create_still_in_flight(
    cloudformation, lambda_service, sagemaker, properties, local_aws
):
    # Given a Create whose first invocation (of two minutes, handing off one before its end)
    # ran out of time while SageMaker was Creating, for a minute and a half
    local_aws.simulator.settings.create_seconds = 90
    lambda_service.timeout_seconds = 120
    create = cloudformation.request("Create", LOGICAL_ID, properties)
    lambda_service.invoke(create)
    in_flight = lambda_service.queued.pop()
    name = (
        in_flight["ResourceProperties"].get("EndpointName") or inventory(sagemaker)["endpoints"][0]
    )
    assert sagemaker.describe_endpoint(EndpointName=name)["EndpointStatus"] == "Creating"

    # When CloudFormation deletes it (another resource failed meanwhile)
    arn = sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"]
    response = cloudformation.delete(LOGICAL_ID, arn, properties)

    # Then the delete waited for Creating to end, deleted everything, and succeeded
    assert response.status == "SUCCESS", response.reason
    assert inventory(sagemaker) == {"endpoints": [], "configs": [], "models": []}
    [created] = local_aws.simulator.calls_to("CreateEndpoint")
    [deleted] = local_aws.simulator.calls_to("DeleteEndpoint")
    assert deleted.at >= created.at + 90


def test_invalid_properties_fail_with_every_path_before_any_change(
    cloudformation, properties, local_aws
):
    # Given two mistakes
    invalid = copy.deepcopy(properties)
    invalid["ProductionVariants"][0]["InitialInstanceCount"] = "0"
    invalid["EnableNetworkIsolation"] = "sometimes"

    # When created
    response = cloudformation.create(LOGICAL_ID, invalid)

    # Then FAILED names both, and SageMaker saw no mutating call
    assert response.status == "FAILED"
    assert "ProductionVariants[0].InitialInstanceCount: must be >= 1" in response.reason
    assert "EnableNetworkIsolation: must be true or false" in response.reason
    assert not set(MUTATING) & set(local_aws.simulator.operations())


def test_a_deployment_longer_than_one_invocation_continues_in_fresh_ones(
    cloudformation, lambda_service, sagemaker, properties, local_aws
):
    # Given invocations of two minutes (handing off one minute before the end) and a creation
    # of two and a half
    lambda_service.timeout_seconds = 120
    local_aws.simulator.settings.create_seconds = 150

    # When CloudFormation creates the resource
    response = cloudformation.create(LOGICAL_ID, properties)

    # Then three invocations led to exactly one SUCCESS, and nothing is left scheduled
    assert response.status == "SUCCESS", response.reason
    assert response.invocations == 3
    assert lambda_service.queued == []
    assert (
        sagemaker.describe_endpoint(EndpointName=response.data["EndpointName"])["EndpointStatus"]
        == "InService"
    )


def test_waiting_ends_with_a_clear_failure_before_service_timeout(
    cloudformation, properties, local_aws
):
    # Given a resource that allows 10 minutes and an endpoint that takes an hour
    local_aws.simulator.settings.create_seconds = 3600
    quick = copy.deepcopy(properties)
    quick["ServiceTimeout"] = "600"

    # When created
    response = cloudformation.create(LOGICAL_ID, quick)

    # Then FAILED arrives before the 10 minutes are up, saying what it waited for
    assert response.status == "FAILED"
    assert response.seconds < 600
    assert "timed out" in response.reason and "is Creating" in response.reason


@pytest.fixture
def provider_log(provider_app):
    """What the provider's log handler (shared with crhelper's loggers) writes."""
    buffer = io.StringIO()
    handlers = provider_app.logger.handlers
    streams = [handler.setStream(buffer) for handler in handlers]
    yield buffer
    for handler, stream in zip(handlers, streams, strict=True):
        handler.setStream(stream)


def test_logs_carry_the_request_keys_and_never_the_response_url(
    cloudformation, properties, provider_log
):
    # When a resource is created and deleted
    created = cloudformation.create(LOGICAL_ID, properties)
    deleted = cloudformation.delete(LOGICAL_ID, created.physical_id, properties)

    # Then every log line, crhelper's included, names the stack, resource and request
    lines = [json.loads(line) for line in provider_log.getvalue().splitlines()]
    assert {line["message"] for line in lines} >= {
        "request succeeded",
        "response delivered",
    }
    for line in lines:
        assert line["StackId"] == cloudformation.stack_id
        assert line["LogicalResourceId"] == LOGICAL_ID
        assert line["RequestId"]
    # And no line holds the presigned ResponseURL
    assert not [line for line in lines if "cloudformation-responses" in json.dumps(line)]
    # And the Delete answered once SageMaker had deleted the endpoint, without crhelper's
    # two-minute sleep
    assert deleted.seconds < 60


def test_throttled_sagemaker_calls_are_retried_not_reported(cloudformation, properties, local_aws):
    # Given SageMaker throttling DescribeEndpoint and ListTags to one call a second (so calls
    # made together are throttled: simulated time passes only when something waits)
    local_aws.simulator.settings.throttle = {"DescribeEndpoint": 1.0, "ListTags": 1.0}

    # When an endpoint is created and deleted
    created = cloudformation.create(LOGICAL_ID, properties)
    deleted = cloudformation.delete(LOGICAL_ID, created.physical_id, properties)

    # Then both succeed although SageMaker throttled some calls
    assert (created.status, deleted.status) == ("SUCCESS", "SUCCESS"), created.reason
    assert sum(local_aws.simulator.throttled.values()) > 0
