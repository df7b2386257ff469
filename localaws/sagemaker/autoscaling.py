"""Application Auto Scaling and CloudWatch alarms for inference components, played on simulated
time, as AWS plays them on real time.

moto stores scalable targets, scaling policies and alarms but never acts on them. Every
`TICK_SECONDS` of simulated time, `Autoscaler` evaluates, for each component registered as a
scalable target (`inference-component/<name>`, `sagemaker:inference-component:DesiredCopyCount`):

- its target tracking policies, on the predefined metrics
  SageMakerInferenceComponentInvocationsPerCopy (one-minute datapoints) and
  SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution (ten-second datapoints);
- the CloudWatch alarms on the metrics the simulator emits for components (`metrics`), whose
  actions run the step scaling policies they name.

A new copy count goes through UpdateInferenceComponentRuntimeConfig's path, so managed instance
scaling follows it. The target's SuspendedState is honoured: DynamicScalingInSuspended and
DynamicScalingOutSuspended stop policies from removing or adding copies (the simulator runs no
scheduled actions, so ScheduledScalingSuspended has nothing to stop).
"""

import math
from collections.abc import Callable
from enum import Enum
from typing import Any

from moto.applicationautoscaling import models as autoscaling_models
from moto.applicationautoscaling import responses as autoscaling_responses
from moto.applicationautoscaling.models import (
    ApplicationAutoscalingBackend,
    FakeApplicationAutoscalingPolicy,
    FakeScalableTarget,
    applicationautoscaling_backends,
)
from moto.cloudwatch.models import Alarm, cloudwatch_backends

from localaws.sagemaker.component_operations import ComponentOperations
from localaws.sagemaker.components import Component, Components
from localaws.sagemaker.metrics import DIMENSION, INVOCATIONS, NAMESPACE, NO_CAPACITY, Metrics

COMPONENT_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
RESOURCE_PREFIX = "inference-component/"
TICK_SECONDS = 10.0
INVOCATIONS_PER_COPY = "SageMakerInferenceComponentInvocationsPerCopy"
CONCURRENT_REQUESTS_PER_COPY = "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"
# Predefined metric -> the period of its datapoints, in seconds.
_PERIODS = {INVOCATIONS_PER_COPY: 60.0, CONCURRENT_REQUESTS_PER_COPY: 10.0}
SCALE_OUT_DATAPOINTS = 3
SCALE_IN_DATAPOINTS = 15
# Target tracking's scale-in alarm fires below this share of the target value.
SCALE_IN_SHARE = 0.9
DEFAULT_COOLDOWN_SECONDS = 300.0
_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
}


def accept_component_targets() -> None:
    """moto 5.2.5's Application Auto Scaling predates inference components: RegisterScalableTarget
    checks the dimension against a list that lacks theirs. Both modules that read the list get
    one that has it (the resource type, `inference-component`, already parses)."""
    known = {member.name: member.value for member in autoscaling_models.ScalableDimensionValueSet}
    if COMPONENT_DIMENSION in known.values():
        return
    extended = Enum(  # type: ignore[misc]
        "ScalableDimensionValueSet",
        {**known, "SAGEMAKER_INFERENCE_COMPONENT_DESIRED_COPY_COUNT": COMPONENT_DIMENSION},
    )
    autoscaling_models.ScalableDimensionValueSet = extended  # type: ignore[misc]
    autoscaling_responses.ScalableDimensionValueSet = extended  # type: ignore[misc]


class Autoscaler:
    """Scaling decisions for inference components, taken tick by tick as simulated time passes.

    Assumption: target tracking scales out after SCALE_OUT_DATAPOINTS consecutive datapoints
    above the target and in after SCALE_IN_DATAPOINTS below SCALE_IN_SHARE of it, as the alarms
    Application Auto Scaling creates do (3 and 15 one-minute datapoints; the same counts of
    ten-second datapoints for the high-resolution metric), to ceil(copies x metric / target).
    A minute without invocations is a datapoint of 0, so traffic that stops scales in to
    MinCapacity, zero included; without copies the per-copy metric has no datapoint, so target
    tracking never scales out of zero. Cooldowns default to DEFAULT_COOLDOWN_SECONDS."""

    def __init__(
        self,
        components: Components,
        operations: ComponentOperations,
        metrics: Metrics,
        invocation_seconds: Callable[[], float],
    ) -> None:
        self._components = components
        self._operations = operations
        self._metrics = metrics
        self._invocation_seconds = invocation_seconds
        self._last_tick: float | None = None
        self._datapoints: dict[str, list[float | None]] = {}
        self._last_activity: dict[tuple[str, str], float] = {}

    def clear(self) -> None:
        self._last_tick = None
        self._datapoints.clear()
        self._last_activity.clear()

    def run(self, now: float, settle: Callable[[float], None]) -> None:
        """Evaluate every tick up to `now`, after `settle` completed the changes due by it."""
        if self._last_tick is None or not any(True for _ in self._components):
            self._last_tick = math.floor(now / TICK_SECONDS) * TICK_SECONDS
            return
        while self._last_tick + TICK_SECONDS <= now:
            self._last_tick += TICK_SECONDS
            settle(self._last_tick)
            self._evaluate(self._last_tick)
        # Datapoints older than the longest evaluation window are never read again.
        self._metrics.forget_before(self._last_tick - SCALE_IN_DATAPOINTS * 60.0)

    def _evaluate(self, now: float) -> None:
        for backend_key in {component.key[:2] for component in self._components}:
            account, region = backend_key
            autoscaling = applicationautoscaling_backends[account][region]
            for target in autoscaling.describe_scalable_targets(
                "sagemaker", None, COMPONENT_DIMENSION
            ):
                self._track(autoscaling, target, now)
            for alarm in list(cloudwatch_backends[account][region].alarms.values()):
                self._evaluate_alarm(autoscaling, alarm, backend_key, now)

    def _component(self, target: FakeScalableTarget, account: str, region: str) -> Component | None:
        name = target.resource_id.removeprefix(RESOURCE_PREFIX)
        return next((c for c in self._components if c.key == (account, region, name)), None)

    # Target tracking

    def _track(
        self, autoscaling: ApplicationAutoscalingBackend, target: FakeScalableTarget, now: float
    ) -> None:
        component = self._component(target, autoscaling.account_id, autoscaling.region_name)
        if component is None:
            return
        for policy in _policies(autoscaling, target, "TargetTrackingScaling"):
            config = policy.target_tracking_scaling_policy_configuration or {}
            metric = config.get("PredefinedMetricSpecification", {}).get("PredefinedMetricType")
            period = _PERIODS.get(metric or "")
            if period is not None and now % period == 0:
                value = self._per_copy(component, metric or "", period, now)
                self._track_datapoint(policy, target, component, config, value, now)

    def _per_copy(
        self, component: Component, metric: str, period: float, now: float
    ) -> float | None:
        """Assumption: every echo invocation keeps one request in flight for
        `invocation_seconds`, which gives the concurrency metric its value."""
        if component.current_copies == 0:
            return None
        invocations = self._metrics.count(INVOCATIONS, component.key, now - period, now) or 0
        if metric == CONCURRENT_REQUESTS_PER_COPY:
            return invocations * self._invocation_seconds() / period / component.current_copies
        return invocations / component.current_copies

    def _track_datapoint(
        self,
        policy: FakeApplicationAutoscalingPolicy,
        target: FakeScalableTarget,
        component: Component,
        config: dict[str, Any],
        value: float | None,
        now: float,
    ) -> None:
        history = self._datapoints.setdefault(policy.policy_arn, [])
        history.append(value)
        del history[:-SCALE_IN_DATAPOINTS]
        goal = config["TargetValue"]
        above = _all_beyond(history, SCALE_OUT_DATAPOINTS, lambda v: v > goal)
        below = not config.get("DisableScaleIn") and _all_beyond(
            history, SCALE_IN_DATAPOINTS, lambda v: v < goal * SCALE_IN_SHARE
        )
        wanted = math.ceil(component.current_copies * (value or 0) / goal)
        if (above or below) and self._scale(target, component, wanted, config, now):
            history.clear()

    # Alarms and step scaling

    def _evaluate_alarm(
        self,
        autoscaling: ApplicationAutoscalingBackend,
        alarm: Alarm,
        backend_key: tuple[str, str],
        now: float,
    ) -> None:
        component_name = _component_dimension(alarm)
        if component_name is None or now % alarm.period != 0:
            return
        values = [
            self._statistic(alarm, (*backend_key, component_name), now - (n + 1) * alarm.period)
            for n in range(alarm.evaluation_periods)
        ]
        state = _alarm_state(alarm, values)
        if state != alarm.state_value:
            alarm.update_state(f"Simulated evaluation: {values}", "{}", state)
        if state == "ALARM" and alarm.actions_enabled:
            latest = next((v for v in values if v is not None), alarm.threshold)
            for action in alarm.alarm_actions or []:
                self._run_step_policy(autoscaling, action, latest - alarm.threshold, now)

    def _statistic(self, alarm: Alarm, key: tuple[str, str, str], start: float) -> float | None:
        """Each event counts 1: Sum and SampleCount give the count, the other statistics 1."""
        events = self._metrics.count(alarm.metric_name, key, start, start + alarm.period)
        if events is None:
            return None
        return float(events) if alarm.statistic in ("Sum", "SampleCount") else 1.0

    def _run_step_policy(
        self, autoscaling: ApplicationAutoscalingBackend, action: str, excess: float, now: float
    ) -> None:
        """Assumption: CloudWatch runs an Application Auto Scaling action at every evaluation
        while the alarm stays in ALARM; the policy's Cooldown (default 0) spaces the runs."""
        policy = next((p for p in autoscaling.policies.values() if p.policy_arn == action), None)
        if policy is None or policy.scalable_dimension != COMPONENT_DIMENSION:
            return
        [target] = autoscaling.describe_scalable_targets(
            "sagemaker", [policy.resource_id], COMPONENT_DIMENSION
        ) or [None]
        component = target and self._component(
            target, autoscaling.account_id, autoscaling.region_name
        )
        config = policy.step_scaling_policy_configuration or {}
        step = _step(config.get("StepAdjustments", []), excess)
        if target is None or component is None or step is None:
            return
        wanted = _adjusted(component.desired_copies, config, step["ScalingAdjustment"])
        cooldown = {
            "ScaleOutCooldown": config.get("Cooldown", 0),
            "ScaleInCooldown": config.get("Cooldown", 0),
        }
        self._scale(target, component, wanted, cooldown, now)

    def _scale(
        self,
        target: FakeScalableTarget,
        component: Component,
        wanted: int,
        config: dict[str, Any],
        now: float,
    ) -> bool:
        """Set the copies Application Auto Scaling would, within the target's capacity, unless
        suspended, cooling down or the component busy; True when it acted."""
        wanted = min(max(wanted, target.min_capacity or 0), target.max_capacity or 0)
        current = component.desired_copies
        if wanted == current or component.status != "InService":
            return False
        direction = "Out" if wanted > current else "In"
        suspended = (target.suspended_state or {}).get(f"DynamicScaling{direction}Suspended")
        cooldown = config.get(f"Scale{direction}Cooldown", DEFAULT_COOLDOWN_SECONDS)
        last = self._last_activity.get((target.resource_id, direction))
        if suspended or (last is not None and now - last < cooldown):
            return False
        self._last_activity[(target.resource_id, direction)] = now
        self._operations.set_copies(component, wanted, now)
        return True


def _policies(
    autoscaling: ApplicationAutoscalingBackend, target: FakeScalableTarget, policy_type: str
) -> list[FakeApplicationAutoscalingPolicy]:
    return [
        policy
        for policy in autoscaling.policies.values()
        if policy.resource_id == target.resource_id
        and policy.scalable_dimension == COMPONENT_DIMENSION
        and policy.policy_type == policy_type
    ]


def _all_beyond(history: list[float | None], count: int, beyond: Callable[[float], bool]) -> bool:
    latest = history[-count:]
    return len(latest) == count and all(v is not None and beyond(v) for v in latest)


def _component_dimension(alarm: Alarm) -> str | None:
    """The component an alarm watches, if it is on a metric the simulator emits for one."""
    if alarm.namespace != NAMESPACE or alarm.metric_name not in (NO_CAPACITY, INVOCATIONS):
        return None
    dimensions = {dimension.name: dimension.value for dimension in alarm.dimensions}
    return dimensions.get(DIMENSION) if list(dimensions) == [DIMENSION] else None


def _alarm_state(alarm: Alarm, values: list[float | None]) -> str:
    """Assumption: missing datapoints follow TreatMissingData (default "missing": an alarm with
    none at all is INSUFFICIENT_DATA), as CloudWatch documents."""
    breaches = _COMPARISONS[alarm.comparison_operator]
    treat = alarm.treat_missing_data or "missing"
    breaching = sum(
        1
        for value in values
        if (value is None and treat == "breaching")
        or (value is not None and breaches(value, alarm.threshold))
    )
    if breaching >= (alarm.datapoints_to_alarm or alarm.evaluation_periods):
        return "ALARM"
    if all(value is None for value in values):
        return {"missing": "INSUFFICIENT_DATA", "ignore": alarm.state_value}.get(treat, "OK")
    return "OK"


def _step(adjustments: list[dict[str, Any]], excess: float) -> dict[str, Any] | None:
    for adjustment in adjustments:
        low = adjustment.get("MetricIntervalLowerBound", -math.inf)
        high = adjustment.get("MetricIntervalUpperBound", math.inf)
        if low <= excess < high:
            return adjustment
    return None


def _adjusted(current: int, config: dict[str, Any], adjustment: int) -> int:
    kind = config.get("AdjustmentType", "ChangeInCapacity")
    if kind == "ExactCapacity":
        return adjustment
    if kind == "PercentChangeInCapacity":
        change = int(current * adjustment / 100)
        magnitude = max(abs(change), config.get("MinAdjustmentMagnitude", 0))
        return current + int(math.copysign(magnitude, adjustment))
    return current + adjustment
