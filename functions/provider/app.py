"""Custom::SageMakerEndpoint and Custom::SageMakerInferenceComponent provider: wiring only. The
CloudFormation edge answers the request; the provisioner of its resource type does the work."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from endpoint_common.aws import AwsClients, botocore_config
from endpoint_common.observability import logger, tracer
from endpoint_provider.cloudformation.edge import CloudFormationEdge
from endpoint_provider.cloudformation.handoff import LambdaContinuation
from endpoint_provider.cloudformation.resource import ContinuableResource
from endpoint_provider.endpoint.lifecycle import EndpointLifecycle
from endpoint_provider.inference_component import RESOURCE_TYPE as COMPONENT_TYPE
from endpoint_provider.inference_component.lifecycle import ComponentLifecycle
from endpoint_provider.provisioning import ResourceTypes
from endpoint_provider.sagemaker_gateway import SageMakerGateway
from endpoint_provider.scaling_gateway import ScalingGateway
from endpoint_provider.settings import ProviderSettings

# INFO, not crhelper's DEBUG default, which logs the whole event and its ResponseURL; and no
# 120 s sleep before answering a Delete.
helper = ContinuableResource(log_level="INFO", boto_level="WARNING", sleep_on_delete=0)
# crhelper's own lines then carry the same JSON format and request keys as ours.
copy_config_to_registered_loggers(source_logger=logger, include={"crhelper"})
# Control-plane calls answer within seconds; many retries ride out throttling during fan-out.
clients = AwsClients(botocore_config(read_timeout=60, max_attempts=10))
# An asynchronous Invoke is accepted in milliseconds. A hand-off starts with HandoffMarginSeconds
# (20 s at least) left and crhelper's timer fires 5 s before the end, staying silent while a
# hand-off is in flight: two attempts of at most 1 + 2 s, plus one standard backoff (<= 1 s),
# end well before it, so a failed hand-off is still answered FAILED.
handoff_clients = AwsClients(
    botocore_config(read_timeout=2, max_attempts=2, retry_mode="standard", connect_timeout=1)
)

try:
    settings = ProviderSettings.from_environment()
except ValidationError as error:
    helper.init_failure(error)


def build_provisioners(
    clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep
) -> ResourceTypes:
    """Every resource type's provisioner, over this environment's clients; the tests, the demo
    and the benchmarks build them on a clock of their own."""
    sagemaker = SageMakerGateway(clients.sagemaker)
    scaling = ScalingGateway(clients.application_autoscaling, clients.cloudwatch)
    endpoint = EndpointLifecycle.provisioner(sagemaker, scaling, settings, clock, sleep)
    component = ComponentLifecycle.provisioner(sagemaker, scaling, settings, clock, sleep)
    return ResourceTypes(default=endpoint, named={COMPONENT_TYPE: component})


@cache
def provisioners() -> ResourceTypes:
    return build_provisioners()


@cache
def continuation() -> LambdaContinuation:
    return LambdaContinuation(handoff_clients.lambda_)


# Looked up on each request, so that the tests, the demo and the benchmarks can swap them.
edge = CloudFormationEdge(
    helper,
    provisioners=lambda: provisioners(),
    continuation=lambda: continuation(),
    handoff_margin=lambda: settings.handoff_margin_seconds,
)


# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds the ResponseURL.
@logger.inject_lambda_context(clear_state=True, log_event=False)
# Powertools types what its decorators return as Callable[..., Any].
@tracer.capture_lambda_handler  # type: ignore[untyped-decorator]
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any] | None:
    return edge(event, context)
