"""Requests that overlap, or collide with what others own, leave nothing behind; an update that
fails for any reason puts back the scaling it suspended; the ResponseURL never reaches a log."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from endpoint_common.observability import logger
from endpoint_provider.request import Budget, Completed, ResourceRequest
from localaws.cloudformation import CloudFormation
from tests.faults.harness import FIGURES, LOGICAL_ID, FaultWorld, base_properties


def send(world: FaultWorld, event: dict[str, Any]) -> list[Any]:
    world.lambda_.invoke(event)
    while not world.collector.responses(event["RequestId"]) and world.lambda_.run_queued():
        pass
    return world.collector.responses(event["RequestId"])


def left(world: FaultWorld) -> int:
    return sum(map(len, world.inventory().values()))


def delete_now(world: FaultWorld, event: dict[str, Any], physical_id: str) -> Any:
    """CloudFormation's Delete of the same resource, run to its end right now (as another
    invocation would, concurrently with the one under way)."""
    request = ResourceRequest(
        "Delete",
        event["StackId"],
        LOGICAL_ID,
        event["ResourceProperties"],
        physical_id=physical_id,
    )
    provisioner = world.app.provisioners().for_type(event["ResourceType"])
    budget = Budget(lambda: 900.0, 60.0)
    return provisioner.handle(request, provisioner.start(request), budget)


def endpoint_arn(world: FaultWorld, event: dict[str, Any]) -> str:
    return (
        world.app.provisioners()
        .for_type(event["ResourceType"])
        .failure_id(
            ResourceRequest("Create", event["StackId"], LOGICAL_ID, event["ResourceProperties"])
        )
    )


@pytest.mark.parametrize(
    "moment",
    [
        # The Delete looks before the endpoint exists and prunes after it was created.
        "sagemaker.ListEndpointConfigs",
        # The whole Delete runs between the Create's config and its endpoint.
        "sagemaker.CreateEndpoint",
    ],
)
def test_a_delete_during_the_creates_apply_step_leaves_nothing(world, moment):
    # Given a Create in its apply step, and CloudFormation's Delete of it arriving then
    event = world.cloudformation.request("Create", LOGICAL_ID, base_properties())
    arn = endpoint_arn(world, event)
    deletes: list[Any] = []
    after_delete: list[dict[str, list[str]]] = []

    def delete() -> None:
        deletes.append(delete_now(world, event, arn))
        after_delete.append(world.inventory())

    if moment == "sagemaker.CreateEndpoint":
        world.faults.hooks[moment] = delete
    else:
        # The Create's CreateEndpoint lands while the Delete prunes what it found
        def create_endpoint_meanwhile() -> None:
            config = world.sagemaker.list_endpoint_configs()["EndpointConfigs"][0]
            name = arn.rsplit("/", 1)[1]
            tags = world.sagemaker.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"]
            world.sagemaker.create_endpoint(
                EndpointName=name, EndpointConfigName=config["EndpointConfigName"], Tags=tags
            )

        def delete_with_a_create_meanwhile() -> None:
            world.faults.hooks[moment] = create_endpoint_meanwhile
            delete()

        world.faults.hooks["sagemaker.CreateEndpoint"] = delete_with_a_create_meanwhile

    # When both run to their end
    answers = send(world, event)

    # Then the Delete succeeded leaving nothing running, the Create answered once, and in the
    # end nothing is left
    assert moment not in world.faults.hooks, f"{moment} never came"
    assert [type(outcome) for outcome in deletes] == [Completed]
    assert after_delete == [{key: [] for key in after_delete[0]}]
    assert len(answers) == 1
    assert world.inventory() == {key: [] for key in world.inventory()}
    FIGURES.record(f"Delete during Create ({moment})", [], left(world))


def test_a_rename_onto_another_stacks_endpoint_fails_and_leaves_nothing_of_ours(world):
    # Given our endpoint, and another stack's endpoint under the name we are about to take
    created = world.cloudformation.create(LOGICAL_ID, base_properties())
    other = CloudFormation(world.lambda_, world.collector, stack_name="other-team")
    renamed = base_properties()
    renamed["EndpointName"] = "shared-name"
    renamed["PrimaryContainer"]["ModelDataUrl"] = "s3://sagemaker-other/model.tar.gz"
    assert other.create(LOGICAL_ID, renamed).status == "SUCCESS"
    before = world.inventory()

    # When our resource is renamed onto it (with our own model)
    ours = base_properties()
    ours["EndpointName"] = "shared-name"
    failed = world.cloudformation.update(LOGICAL_ID, created.physical_id, ours, base_properties())

    # Then the update fails saying why, and neither a config nor a model of ours is left
    assert failed.status == "FAILED"
    assert "not managed by ChurnEndpoint of this stack" in failed.reason
    assert world.inventory() == before
    FIGURES.record(
        "rename onto a foreign endpoint", [], left(world) - sum(map(len, before.values()))
    )


def autoscaled() -> dict[str, Any]:
    props = base_properties()
    variant = props["ProductionVariants"][0]
    variant["InitialInstanceCount"] = "2"
    variant["AutoScaling"] = {"MinCapacity": "1", "MaxCapacity": "4"}
    variant["AutoScaling"]["TargetInvocationsPerInstance"] = "70"
    return props


@pytest.mark.parametrize("fault", ["bug", "connection", "5xx"])
def test_any_failure_of_the_update_call_puts_back_the_suspended_scaling(world, fault):
    # Given an autoscaled endpoint whose instance type changes (scaling is suspended for it)
    created = world.cloudformation.create(LOGICAL_ID, autoscaled())
    bigger = autoscaled()
    bigger["ProductionVariants"][0]["InstanceType"] = "ml.c5.xlarge"
    name = created.data["EndpointName"]

    # When UpdateEndpoint fails (a bug, AWS out of reach, an AWS error)
    world.faults.arm("sagemaker.UpdateEndpoint", 1, fault)
    failed = world.cloudformation.update(LOGICAL_ID, created.physical_id, bigger, autoscaled())
    world.faults.disarm()

    # Then the update is FAILED and, before any rollback, the variant scales again as before
    assert failed.status == "FAILED"
    targets = world.autoscaling.describe_scalable_targets(ServiceNamespace="sagemaker")
    assert [
        (t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets["ScalableTargets"]
    ] == [(f"endpoint/{name}/variant/AllTraffic", 1, 4)]
    policies = world.autoscaling.describe_scaling_policies(ServiceNamespace="sagemaker")
    assert [p["PolicyName"] for p in policies["ScalingPolicies"]] == ["target-tracking"]


def test_the_response_url_is_never_logged_even_at_debug(world, capfd, caplog):
    # Given the operator raised the log level to DEBUG (which Powertools copies onto crhelper)
    level = logger.log_level
    logger.setLevel("DEBUG")
    copy_config_to_registered_loggers(source_logger=logger, include={"crhelper"})
    assert logging.getLogger("crhelper.resource_helper").getEffectiveLevel() == logging.DEBUG
    buffer = io.StringIO()
    streams = [handler.setStream(buffer) for handler in logger.handlers]
    caplog.set_level("DEBUG")

    # When a resource is created and deleted
    try:
        created = world.cloudformation.create(LOGICAL_ID, base_properties())
        world.cloudformation.delete(LOGICAL_ID, created.physical_id, base_properties())
    finally:
        logger.setLevel(level)
        copy_config_to_registered_loggers(source_logger=logger, include={"crhelper"})
        for handler, stream in zip(logger.handlers, streams, strict=True):
            handler.setStream(stream)

    # Then the provider logged, and no line of any logger holds the presigned URL
    written = buffer.getvalue() + capfd.readouterr().out + caplog.text
    assert "response delivered" in written
    assert "cloudformation-responses" not in written
    assert "X-Amz-Signature" not in written
