"""The typed model of a Custom::SageMakerEndpoint's properties.

Its shape comes from SageMaker's API (property_shapes); the models below hold what the API
cannot state: rules across fields, the provider's own AutoScaling, and the fields the provider
reads. An endpoint either serves models (PrimaryContainer, Containers, or a variant's ModelName)
or, with no model anywhere, hosts inference components, which bring their own.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from endpoint_provider.endpoint.property_shapes import PROPERTIES
from endpoint_provider.property_errors import check
from endpoint_provider.property_model import (
    ApiModel,
    AutoRollbackConfigSpec,
    ContainerList,
    ContainerSpec,
    Problem,
    ProviderModel,
    ResourceProperties,
    items,
    parse,
    prop,
    repeated,
)

# Built at import, in Lambda's init phase, so that no request pays for reading the model.
_PROPERTIES_SHAPE = PROPERTIES.shape


class ServerlessConfigSpec(ApiModel):
    MemorySizeInMB: int = prop(doc="Memory", multiple_of=1024)
    MaxConcurrency: int = prop(doc="Concurrent invocations at most")
    ProvisionedConcurrency: int | None = prop(None, doc="Pre-warmed concurrency")

    @model_validator(mode="after")
    def _provisioned_within_max(self) -> ServerlessConfigSpec:
        if self.ProvisionedConcurrency and self.ProvisionedConcurrency > self.MaxConcurrency:
            check(
                [("ProvisionedConcurrency", f"must be <= MaxConcurrency ({self.MaxConcurrency})")]
            )
        return self


class MetricDimensionSpec(ProviderModel):
    Name: str = prop(doc="Dimension name")
    Value: str = prop(doc="Dimension value")


class CustomizedMetricSpec(ProviderModel):
    MetricName: str = prop(doc="CloudWatch metric")
    Namespace: str = prop(doc="CloudWatch namespace")
    Dimensions: list[MetricDimensionSpec] = prop(default_factory=list, doc="Metric dimensions")
    Statistic: Literal["Average", "Minimum", "Maximum", "SampleCount", "Sum"] = prop(
        "Average", doc="Statistic tracked"
    )
    Unit: str | None = prop(None, doc="Metric unit")


PredefinedMetric = Literal[
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantProvisionedConcurrencyUtilization",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
]


class AutoScalingSpec(ProviderModel):
    """Target tracking on one variant's instance count (Application Auto Scaling)."""

    MinCapacity: int = prop(doc="Fewest instances; 0 (scale to zero) for async endpoints", ge=0)
    MaxCapacity: int = prop(doc="Most instances", ge=1)
    TargetInvocationsPerInstance: float | None = prop(
        None, doc="Invocations per instance per minute to hold (real-time)", gt=0
    )
    TargetBacklogPerInstance: float | None = prop(
        None,
        doc="Queued requests per instance to hold (async; ApproximateBacklogSizePerInstance)",
        gt=0,
    )
    TargetValue: float | None = prop(
        None, doc="Target of PredefinedMetricType or CustomizedMetricSpecification", gt=0
    )
    PredefinedMetricType: PredefinedMetric | None = prop(None, doc="Metric TargetValue applies to")
    CustomizedMetricSpecification: CustomizedMetricSpec | None = prop(
        None, doc="Metric TargetValue applies to"
    )
    ScaleInCooldown: int | None = prop(None, doc="Seconds after a scale-in before the next", ge=0)
    ScaleOutCooldown: int | None = prop(None, doc="Seconds after a scale-out before the next", ge=0)
    DisableScaleIn: bool = prop(False, doc="Never remove instances")

    @model_validator(mode="after")
    def _one_target(self) -> AutoScalingSpec:
        problems = []
        if self.MinCapacity > self.MaxCapacity:
            problems.append(("MinCapacity", f"must be <= MaxCapacity ({self.MaxCapacity})"))
        shorthands = [self.TargetInvocationsPerInstance, self.TargetBacklogPerInstance]
        metrics = [self.PredefinedMetricType, self.CustomizedMetricSpecification]
        general = self.TargetValue is not None
        if sum(value is not None for value in shorthands) + general != 1:
            problems.append(
                (
                    "",
                    "give one target: TargetInvocationsPerInstance, TargetBacklogPerInstance, "
                    "or TargetValue with a metric",
                )
            )
        elif general and sum(metric is not None for metric in metrics) != 1:
            problems.append(
                (
                    "TargetValue",
                    "needs exactly one of PredefinedMetricType and CustomizedMetricSpecification",
                )
            )
        elif not general and any(metric is not None for metric in metrics):
            problems.append(("PredefinedMetricType", "goes with TargetValue only"))
        check(problems)
        return self


class ManagedInstanceScalingSpec(ApiModel):
    MinInstanceCount: int | None = prop(None, doc="Fewest instances (0: release them all)")
    MaxInstanceCount: int | None = prop(None, doc="Most instances")

    @model_validator(mode="after")
    def _min_within_max(self) -> ManagedInstanceScalingSpec:
        low, high = self.MinInstanceCount, self.MaxInstanceCount
        if low is not None and high is not None and low > high:
            check([("MinInstanceCount", f"must be <= MaxInstanceCount ({high})")])
        return self


class ProductionVariantSpec(ApiModel):
    VariantName: str = prop("AllTraffic", doc="Variant name")
    InstanceType: str | None = prop(None, doc="Instance type; omit for a serverless variant")
    InstancePools: list[Any] | None = prop(None, doc="Instance types to choose from")
    InitialInstanceCount: int | None = prop(None, doc="Instances at creation (default 1)")
    ServerlessConfig: ServerlessConfigSpec | None = prop(None, doc="Makes the variant serverless")
    Containers: ContainerList | None = prop(
        None, doc="This variant's own model instead of the resource's"
    )
    ModelName: str | None = prop(None, doc="An existing model to serve (used, never deleted)")
    ManagedInstanceScaling: ManagedInstanceScalingSpec | None = prop(
        None, doc="Instances added and released as inference components' copies need them"
    )
    AutoScaling: AutoScalingSpec | None = prop(
        None, doc="Target-tracking autoscaling of the instance count"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProductionVariantSpec:
        problems = []
        has_instances = self.InstanceType is not None or self.InstancePools is not None
        if has_instances == (self.ServerlessConfig is not None):
            problems.append(
                ("InstanceType", "give exactly one of InstanceType and ServerlessConfig")
            )
        if self.ServerlessConfig and self.InitialInstanceCount is not None:
            problems.append(("InitialInstanceCount", "not allowed on a serverless variant"))
        if self.Containers and self.ModelName:
            problems.append(("ModelName", "give Containers or ModelName, not both"))
        problems += self._scaling_problems() + self._managed_scaling_problems()
        check(problems)
        return self

    def _managed_scaling_problems(self) -> list[Problem]:
        managed = self.ManagedInstanceScaling
        if managed is None:
            return []
        low, high = managed.MinInstanceCount, managed.MaxInstanceCount
        if (low is not None and self.instance_count < low) or (
            high is not None and self.instance_count > high
        ):
            return [
                (
                    "InitialInstanceCount",
                    f"{self.instance_count} must lie within ManagedInstanceScaling's "
                    f"MinInstanceCount {low} and MaxInstanceCount {high}",
                )
            ]
        return []

    def _scaling_problems(self) -> list[Problem]:
        scaling = self.AutoScaling
        if scaling is None:
            return []
        if self.ServerlessConfig:
            return [("AutoScaling", "not supported on serverless variants")]
        if self.InstanceType and self.InstanceType.startswith("ml.t"):
            return [("AutoScaling", f"not supported on burstable {self.InstanceType} instances")]
        initial = self.instance_count
        if not scaling.MinCapacity <= initial <= scaling.MaxCapacity:
            return [
                (
                    "InitialInstanceCount",
                    f"{initial} must lie within AutoScaling's MinCapacity "
                    f"{scaling.MinCapacity} and MaxCapacity {scaling.MaxCapacity}",
                )
            ]
        return []

    @property
    def instance_count(self) -> int:
        return self.InitialInstanceCount or 1

    @property
    def is_serverless(self) -> bool:
        return self.ServerlessConfig is not None


class CapacitySizeSpec(ApiModel):
    Type: str | None = prop(None, doc="Instances or a percentage")
    Value: int | None = prop(None, doc="How many, or what percentage")


class TrafficRoutingConfigSpec(ApiModel):
    Type: str | None = prop(None, doc="How traffic moves to the new fleet")
    CanarySize: CapacitySizeSpec | None = prop(None, doc="First step of a CANARY (<= 50 %)")
    LinearStepSize: CapacitySizeSpec | None = prop(None, doc="Each step of a LINEAR (10-50 %)")

    @model_validator(mode="after")
    def _step_sizes(self) -> TrafficRoutingConfigSpec:
        problems = []
        if self.Type == "CANARY":
            problems += _size_problems("CanarySize", self.CanarySize, 1, 50)
        if self.Type == "LINEAR":
            problems += _size_problems("LinearStepSize", self.LinearStepSize, 10, 50)
        check(problems)
        return self


def _size_problems(name: str, size: CapacitySizeSpec | None, low: int, high: int) -> list[Problem]:
    if size is None:
        return [(name, "required for this Type")]
    if size.Type == "CAPACITY_PERCENT" and size.Value is not None and not low <= size.Value <= high:
        return [(f"{name}.Value", f"must be {low}-{high} percent")]
    return []


class BlueGreenUpdatePolicySpec(ApiModel):
    TrafficRoutingConfiguration: TrafficRoutingConfigSpec | None = prop(
        None, doc="Traffic shifting"
    )
    MaximumExecutionTimeoutInSeconds: int | None = prop(
        None, doc="Longest the deployment may take (within ServiceTimeout)"
    )


class RollingUpdatePolicySpec(ApiModel):
    MaximumExecutionTimeoutInSeconds: int | None = prop(
        None, doc="Longest the deployment may take (within ServiceTimeout)"
    )


class DeploymentConfigSpec(ApiModel):
    BlueGreenUpdatePolicy: BlueGreenUpdatePolicySpec | None = prop(None, doc="Blue/green update")
    RollingUpdatePolicy: RollingUpdatePolicySpec | None = prop(None, doc="Rolling update")
    AutoRollbackConfiguration: AutoRollbackConfigSpec | None = prop(None, doc="Alarm rollback")

    @model_validator(mode="after")
    def _one_policy(self) -> DeploymentConfigSpec:
        if self.BlueGreenUpdatePolicy and self.RollingUpdatePolicy:
            check([("RollingUpdatePolicy", "give BlueGreenUpdatePolicy or RollingUpdatePolicy")])
        return self

    @property
    def maximum_execution_seconds(self) -> int | None:
        policy = self.BlueGreenUpdatePolicy or self.RollingUpdatePolicy
        return policy.MaximumExecutionTimeoutInSeconds if policy else None

    @property
    def alarm_names(self) -> list[str]:
        rollback = self.AutoRollbackConfiguration
        return rollback.alarm_names if rollback else []


class EndpointProperties(ResourceProperties):
    """Everything a Custom::SageMakerEndpoint accepts, validated and coerced: the fields below
    are the ones the provider itself reads; every other property is a request member
    (property_shapes.routes) carried as an extra."""

    EndpointName: str | None = prop(None, doc="Endpoint name")
    ModelName: str | None = prop(None, doc="The name variants use for the resource's model")
    PrimaryContainer: ContainerSpec | None = prop(None, doc="The model's container")
    Containers: ContainerList | None = prop(None, doc="An inference pipeline")
    ProductionVariants: list[ProductionVariantSpec] = prop(doc="Variants serving traffic")
    ShadowProductionVariants: list[ProductionVariantSpec] | None = prop(
        None, doc="Variants receiving a copy of the traffic"
    )
    AsyncInferenceConfig: dict[str, Any] | None = prop(None, doc="Makes the endpoint asynchronous")
    DeploymentConfig: DeploymentConfigSpec | None = prop(None, doc="How updates roll out")
    RetainAllVariantProperties: bool | None = prop(
        None, doc="Keep live instance counts and weights on update"
    )

    @model_validator(mode="after")
    def _consistent(self) -> EndpointProperties:
        problems = self._hosting_problems() + self._scaling_problems()
        deployment = self.DeploymentConfig
        timeout = deployment.maximum_execution_seconds if deployment else None
        check(problems + self.deployment_timeout_problems(timeout))
        return self

    def _hosting_problems(self) -> list[Problem]:
        problems = []
        kinds = {variant.is_serverless for variant in self.variants}
        if len(kinds) > 1:
            problems.append(
                ("ProductionVariants", "serverless and instance variants cannot be mixed")
            )
        if self.AsyncInferenceConfig and True in kinds:
            problems.append(("AsyncInferenceConfig", "not supported with serverless variants"))
        if self.hosts_components:
            return problems + self._component_hosting_problems()
        uses_shared = any(self.serves_own_model(variant) for variant in self.variants)
        shared = "Containers" if self.Containers else "PrimaryContainer"
        if uses_shared and not (self.PrimaryContainer or self.Containers):
            problems.append(
                (
                    "PrimaryContainer",
                    "required unless every variant has Containers or ModelName (or none has: "
                    "an endpoint that hosts inference components)",
                )
            )
        if not uses_shared and (self.PrimaryContainer or self.Containers):
            problems.append(
                (
                    shared,
                    "no variant serves it: each has its own Containers or names an existing "
                    "model; give one variant no ModelName, or this resource's ModelName",
                )
            )
        return problems

    def _component_hosting_problems(self) -> list[Problem]:
        """An endpoint for inference components: each component brings its model and scales
        its own copies; the instances follow through ManagedInstanceScaling."""
        hosting = "not supported on an endpoint that hosts inference components"
        problems: list[Problem] = []
        if self.AsyncInferenceConfig:
            problems.append(("AsyncInferenceConfig", hosting))
        for path, variant in self._variant_paths():
            if variant.ServerlessConfig:
                problems.append((f"{path}.ServerlessConfig", hosting))
            if variant.AutoScaling:
                problems.append(
                    (
                        f"{path}.AutoScaling",
                        f"{hosting}: each component scales its copies (its AutoScaling), and "
                        "ManagedInstanceScaling adds and releases instances",
                    )
                )
        return problems

    def _variant_paths(self) -> list[tuple[str, ProductionVariantSpec]]:
        return [
            (f"{field}[{index}]", variant)
            for field in ("ProductionVariants", "ShadowProductionVariants")
            for index, variant in enumerate(getattr(self, field) or [])
        ]

    @property
    def hosts_components(self) -> bool:
        """No model anywhere: the endpoint hosts inference components, as SageMaker reads an
        endpoint config whose variants name no model."""
        return not (self.PrimaryContainer or self.Containers or self.ModelName) and not any(
            variant.ModelName or variant.Containers for variant in self.variants
        )

    def serves_own_model(self, variant: ProductionVariantSpec) -> bool:
        """Whether the variant serves the model made of PrimaryContainer or Containers: it has
        no containers of its own and names no model, or names the one a native Model gave."""
        if variant.Containers:
            return False
        return not variant.ModelName or variant.ModelName == self.ModelName

    def _scaling_problems(self) -> list[Problem]:
        problems = []
        for index, variant in enumerate(self.ProductionVariants):
            scaling = variant.AutoScaling
            if scaling is None or self.AsyncInferenceConfig:
                continue
            path = f"ProductionVariants[{index}].AutoScaling"
            if scaling.MinCapacity == 0:
                problems.append(
                    (f"{path}.MinCapacity", "0 (scale to zero) needs AsyncInferenceConfig")
                )
            if scaling.TargetBacklogPerInstance is not None:
                problems.append((f"{path}.TargetBacklogPerInstance", "needs AsyncInferenceConfig"))
        return problems

    @property
    def variants(self) -> list[ProductionVariantSpec]:
        return self.ProductionVariants + (self.ShadowProductionVariants or [])

    @property
    def containers(self) -> list[ContainerSpec] | None:
        if self.Containers:
            return self.Containers
        return [self.PrimaryContainer] if self.PrimaryContainer else None

    @property
    def autoscaled(self) -> bool:
        return any(variant.AutoScaling for variant in self.variants)


def parse_properties(raw: Any) -> EndpointProperties:
    """Coerce CloudFormation's ResourceProperties, or raise InvalidProperties with every problem."""
    return parse(raw, _PROPERTIES_SHAPE, EndpointProperties, _variant_rules)


def _variant_rules(raw: dict[str, Any]) -> list[Problem]:
    variants = items(raw.get("ProductionVariants")) + items(raw.get("ShadowProductionVariants"))
    names = [variant.get("VariantName", "AllTraffic") for variant in variants]
    problems = [
        ("ProductionVariants", f"duplicate VariantName {name!r}") for name in repeated(names)
    ]
    return problems + _managed_scaling_problems(raw)


def _managed_scaling_problems(raw: dict[str, Any]) -> list[Problem]:
    """SageMaker refuses ManagedInstanceScaling on an endpoint that serves models; read on the
    raw input, so that it joins any problem inside the variants."""
    lists = ("ProductionVariants", "ShadowProductionVariants")
    placed = [(f"{field}[{i}]", v) for field in lists for i, v in enumerate(items(raw.get(field)))]
    serves_models = any(
        key in raw for key in ("PrimaryContainer", "Containers", "ModelName")
    ) or any("ModelName" in variant or "Containers" in variant for _, variant in placed)
    if not serves_models:
        return []
    return [
        (
            f"{path}.ManagedInstanceScaling",
            "only for an endpoint that hosts inference components: give no "
            "PrimaryContainer, Containers or ModelName",
        )
        for path, variant in placed
        if "ManagedInstanceScaling" in variant
    ]
