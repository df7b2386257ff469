"""Driving the provider as CloudFormation and Lambda would, for the provider benchmarks.

Local AWS (moto + the SageMaker simulator), a ResponseCollector that also notes when each
response arrived, and the provider's real handler loaded as its own Lambda module.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bench.common import ROOT, load_function
from localaws.cloudformation import CloudFormation, LocalLambda, ResponseCollector
from localaws.functions import LAMBDA_CREDENTIALS, provider_environment
from localaws.sagemaker import SimulatorSettings
from localaws.server import LocalAws

LOGICAL_ID = "ChurnEndpoint"
# Lambda's limits and the provider's defaults (template.yaml, ProviderSettings), in seconds.
LAMBDA_TIMEOUT = 900.0
POLL_INTERVAL = 5.0
HANDOFF_MARGIN = 60.0
DEADLINE_MARGIN = 60.0
SERVICE_TIMEOUT = 3600.0
# crhelper's CfnResource._set_timeout: a FAILED answer this long before Lambda's timeout.
CRHELPER_TIMER_MARGIN = 0.5


def base_properties() -> dict[str, Any]:
    """events/create.json's resource, as CloudFormation sends it."""
    event = json.loads((ROOT / "events" / "create.json").read_text())
    properties = copy.deepcopy(event["ResourceProperties"])
    del properties["ServiceToken"]
    return properties


def with_model(properties: dict[str, Any], version: str) -> dict[str, Any]:
    changed = copy.deepcopy(properties)
    changed["PrimaryContainer"]["ModelDataUrl"] = (
        f"s3://sagemaker-churn-models/churn/{version}/model.tar.gz"
    )
    return changed


class TimedCollector(ResponseCollector):
    """A ResponseCollector that also notes when (time.monotonic) each response arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}

    def _record(self, request_id: str, raw: bytes) -> None:
        arrived = time.monotonic()
        super()._record(request_id, raw)
        with self._lock:
            self.arrivals.setdefault(request_id, arrived)


@dataclass(frozen=True)
class Scaled:
    """Every duration the provider and Lambda see, multiplied by the simulator's time_scale,
    so that a 40-minute deployment takes seconds and still meets the same number of polls,
    hand-offs and deadlines."""

    time_scale: float
    poll_interval: float = POLL_INTERVAL

    def seconds(self, simulated: float) -> float:
        return simulated * self.time_scale

    def simulated(self, seconds: float) -> float:
        return seconds / self.time_scale

    @property
    def lambda_timeout(self) -> float:
        return self.seconds(LAMBDA_TIMEOUT)

    def properties(self, properties: dict[str, Any]) -> dict[str, Any]:
        scaled = copy.deepcopy(properties)
        scaled["ServiceTimeout"] = str(max(1, round(self.seconds(SERVICE_TIMEOUT))))
        return scaled


def environment(
    aws: LocalAws,
    collector: ResponseCollector,
    scaled: Scaled = Scaled(1.0),
    log_level: str = "INFO",
) -> dict[str, str]:
    found = provider_environment(
        aws.endpoint_url,
        collector.ca_file,
        poll_interval=scaled.seconds(scaled.poll_interval),
        handoff_margin=scaled.seconds(HANDOFF_MARGIN),
        log_level=log_level,
    )
    found["DEADLINE_MARGIN_SECONDS"] = str(scaled.seconds(DEADLINE_MARGIN))
    return {**LAMBDA_CREDENTIALS, **found}


@contextmanager
def local_stack(settings: SimulatorSettings) -> Iterator[tuple[LocalAws, TimedCollector]]:
    # werkzeug logs every request moto serves on stderr.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with LocalAws(settings=settings) as aws, TimedCollector() as collector:
        yield aws, collector


def load_provider(env: dict[str, str]) -> ModuleType:
    """A fresh provider module (its own crhelper resource, clients and caches), as one Lambda
    execution environment has; the environment must be set first, it is read at import."""
    os.environ.update(env)
    return load_function("provider")


class SilentTimer:
    """crhelper's timeout timer, for invocations on simulated time: it would fire on real time,
    and a simulated invocation hands off long before its timeout anyway."""

    def __init__(self, interval: float, callback: Any):
        self.daemon = True

    def start(self) -> None:
        """Never fires."""

    def cancel(self) -> None:
        """Nothing to stop."""


class TimedLambda(LocalLambda):
    """A LocalLambda that notes when (time.monotonic) each invocation started."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.starts: list[float] = []

    def invoke(self, event: dict[str, Any]) -> None:
        self.starts.append(time.monotonic())
        super().invoke(event)


def scale_crhelper_timer(module: ModuleType, time_scale: float) -> None:
    """crhelper answers FAILED 0.5 s before Lambda's timeout, a real-time constant the scaled
    timeout would otherwise shrink below the scaled hand-off margin: scale it too."""
    helper = module.helper

    def set_timeout() -> None:
        remaining = helper._context.get_remaining_time_in_millis() / 1000
        helper._timer = threading.Timer(
            remaining - CRHELPER_TIMER_MARGIN * time_scale, helper._timeout
        )
        helper._timer.daemon = True
        helper._timer.start()

    helper._set_timeout = set_timeout


def cloudformation(
    module: ModuleType, collector: ResponseCollector, stack_name: str, timeout: float
) -> CloudFormation:
    """Lambda running `module`'s handler, continuing in-process; CloudFormation in front."""
    service = TimedLambda(module.handler, timeout_seconds=timeout)
    module.continuation = lambda: service
    return CloudFormation(service, collector, stack_name=stack_name)
