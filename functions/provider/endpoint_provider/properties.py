"""The typed model of a Custom::SageMakerEndpoint's properties.

SageMaker's API decides what each property may hold: property_shapes derives the properties'
shape from botocore's service model, and api_shapes checks and coerces CloudFormation's strings
by it ("1" to 1, "true" to true). The pydantic models below hold what the API cannot state:
rules across fields, the provider's own AutoScaling, and the fields the provider reads.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from endpoint_provider.api_shapes import conform
from endpoint_provider.property_errors import check, describe, is_cross_field
from endpoint_provider.property_shapes import properties_shape

# Built at import, in Lambda's init phase, so that no request pays for reading the model.
_PROPERTIES_SHAPE = properties_shape()

# What an update of a property does, as the property reference words it.
REPLACEMENT = "replacement"
NEW_MODEL = "new model and config, in place"
NEW_CONFIG = "new config, in place"
IN_PLACE = "in place, endpoint untouched"
ON_UPDATES = "in place; governs later updates"
NOTHING = "nothing to change"


def prop(default: Any = ..., *, doc: str, **constraints: Any) -> Any:
    """A property with its reference text (the property reference shows AutoScaling's)."""
    return Field(default, description=doc, **constraints)


class InvalidProperties(ValueError):
    """Every problem found in the properties, each prefixed with its property path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems))


class _Properties(BaseModel):
    """The provider's own settings: every field declared, nothing else accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _ApiProperties(BaseModel):
    """A SageMaker API structure, already checked and coerced against botocore's shape
    (property_shapes); only the fields a cross-field rule reads are declared, the rest ride
    along unchanged into the request."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)


class TagSpec(_ApiProperties):
    Key: str = prop(doc="Tag key")
    Value: str = prop(doc="Tag value")


class ContainerSpec(_ApiProperties):
    Image: str | None = prop(None, doc="Inference image URI (ECR or a private registry)")
    ModelDataUrl: str | None = prop(None, doc="S3 URL of model.tar.gz")
    ModelDataSource: dict[str, Any] | None = prop(None, doc="Model data in its native shape")
    ModelPackageName: str | None = prop(None, doc="Model package (Marketplace or registry)")

    @model_validator(mode="after")
    def _image_or_package(self) -> ContainerSpec:
        problems = []
        if not self.Image and not self.ModelPackageName:
            problems.append(("", "needs Image or ModelPackageName"))
        if self.ModelDataUrl and self.ModelDataSource:
            problems.append(("ModelDataSource", "give ModelDataUrl or ModelDataSource, not both"))
        check(problems)
        return self


ContainerList = list[ContainerSpec]


class ServerlessConfigSpec(_ApiProperties):
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


class MetricDimensionSpec(_Properties):
    Name: str = prop(doc="Dimension name")
    Value: str = prop(doc="Dimension value")


class CustomizedMetricSpec(_Properties):
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


class AutoScalingSpec(_Properties):
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


class ProductionVariantSpec(_ApiProperties):
    VariantName: str = prop("AllTraffic", doc="Variant name")
    InstanceType: str | None = prop(None, doc="Instance type; omit for a serverless variant")
    InstancePools: list[Any] | None = prop(None, doc="Instance types to choose from")
    InitialInstanceCount: int | None = prop(None, doc="Instances at creation (default 1)")
    ServerlessConfig: ServerlessConfigSpec | None = prop(None, doc="Makes the variant serverless")
    Containers: ContainerList | None = prop(
        None, doc="This variant's own model instead of the resource's"
    )
    ModelName: str | None = prop(None, doc="An existing model to serve (used, never deleted)")
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
        problems += self._scaling_problems()
        check(problems)
        return self

    def _scaling_problems(self) -> list[tuple[str, str]]:
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


class CapacitySizeSpec(_ApiProperties):
    Type: str | None = prop(None, doc="Instances or a percentage")
    Value: int | None = prop(None, doc="How many, or what percentage")


class TrafficRoutingConfigSpec(_ApiProperties):
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


def _size_problems(
    name: str, size: CapacitySizeSpec | None, low: int, high: int
) -> list[tuple[str, str]]:
    if size is None:
        return [(name, "required for this Type")]
    if size.Type == "CAPACITY_PERCENT" and size.Value is not None and not low <= size.Value <= high:
        return [(f"{name}.Value", f"must be {low}-{high} percent")]
    return []


class BlueGreenUpdatePolicySpec(_ApiProperties):
    TrafficRoutingConfiguration: TrafficRoutingConfigSpec | None = prop(
        None, doc="Traffic shifting"
    )
    MaximumExecutionTimeoutInSeconds: int | None = prop(
        None, doc="Longest the deployment may take (within ServiceTimeout)"
    )


class RollingUpdatePolicySpec(_ApiProperties):
    MaximumExecutionTimeoutInSeconds: int | None = prop(
        None, doc="Longest the deployment may take (within ServiceTimeout)"
    )


class AlarmSpec(_ApiProperties):
    AlarmName: str | None = prop(None, doc="CloudWatch alarm name")


class AutoRollbackConfigSpec(_ApiProperties):
    Alarms: list[AlarmSpec] | None = prop(None, doc="Alarms that roll a deployment back")


class DeploymentConfigSpec(_ApiProperties):
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
        alarms = rollback.Alarms if rollback else None
        return [alarm.AlarmName for alarm in alarms or [] if alarm.AlarmName]


class EndpointProperties(_ApiProperties):
    """Everything a Custom::SageMakerEndpoint accepts, validated and coerced: the fields below
    are the ones the provider itself reads; every other property is a request member
    (property_shapes.routes) carried as an extra."""

    ServiceTimeout: int = prop(3600, doc="Seconds CloudFormation waits for each operation")
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
    Tags: list[TagSpec] = prop(default_factory=list, doc="Tags")

    @model_validator(mode="after")
    def _consistent(self) -> EndpointProperties:
        problems = self._hosting_problems() + self._scaling_problems()
        timeout = self.DeploymentConfig and self.DeploymentConfig.maximum_execution_seconds
        if timeout and timeout > self.ServiceTimeout:
            problems.append(
                (
                    "DeploymentConfig",
                    f"MaximumExecutionTimeoutInSeconds {timeout} exceeds ServiceTimeout "
                    f"{self.ServiceTimeout}: CloudFormation would stop waiting first",
                )
            )
        check(problems)
        return self

    def _hosting_problems(self) -> list[tuple[str, str]]:
        problems = []
        kinds = {variant.is_serverless for variant in self.variants}
        if len(kinds) > 1:
            problems.append(
                ("ProductionVariants", "serverless and instance variants cannot be mixed")
            )
        if self.AsyncInferenceConfig and True in kinds:
            problems.append(("AsyncInferenceConfig", "not supported with serverless variants"))
        uses_shared = any(self.serves_own_model(variant) for variant in self.variants)
        shared = "Containers" if self.Containers else "PrimaryContainer"
        if uses_shared and not (self.PrimaryContainer or self.Containers):
            problems.append(
                ("PrimaryContainer", "required unless every variant has Containers or ModelName")
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

    def serves_own_model(self, variant: ProductionVariantSpec) -> bool:
        """Whether the variant serves the model made of PrimaryContainer or Containers: it has
        no containers of its own and names no model, or names the one a native Model gave."""
        if variant.Containers:
            return False
        return not variant.ModelName or variant.ModelName == self.ModelName

    def _scaling_problems(self) -> list[tuple[str, str]]:
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
    def user_tags(self) -> dict[str, str]:
        return {tag.Key: tag.Value for tag in self.Tags}

    @property
    def autoscaled(self) -> bool:
        return any(variant.AutoScaling for variant in self.variants)


def parse_properties(raw: Any) -> EndpointProperties:
    """Coerce CloudFormation's ResourceProperties, or raise InvalidProperties with every problem.

    Two layers: SageMaker's API shape (types, required members, enums, ranges, lengths and
    patterns, from botocore's model), then the rules the API cannot state (the pydantic model
    above). A problem the first layer found is not repeated by the second."""
    if not isinstance(raw, dict):
        raise InvalidProperties(
            [f"ResourceProperties: must be a map of properties, got {_kind(raw)}"]
        )
    conformed = conform(_PROPERTIES_SHAPE, raw)
    problems = conformed.problems + _raw_problems(raw)
    try:
        properties = EndpointProperties.model_validate(conformed.value)
    except ValidationError as error:
        reported = [path for path, _ in problems]
        for item in error.errors():
            for path, message in describe(item, EndpointProperties):
                if is_cross_field(item) or not any(_within(path, seen) for seen in reported):
                    problems.append((path, message))
    if problems:
        raise InvalidProperties(
            [f"{path}: {message}" if path else message for path, message in problems]
        )
    return properties


def _within(path: str, parent: str) -> bool:
    return path == parent or path.startswith((f"{parent}.", f"{parent}["))


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _raw_problems(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """Rules across list items, checked on the raw input so that they join any field errors
    instead of waiting for them to be fixed."""
    problems = []
    if "PrimaryContainer" in raw and "Containers" in raw:
        problems.append(("Containers", "give PrimaryContainer or Containers, not both"))
    variants = _items(raw.get("ProductionVariants")) + _items(raw.get("ShadowProductionVariants"))
    names = [variant.get("VariantName", "AllTraffic") for variant in variants]
    problems += [
        ("ProductionVariants", f"duplicate VariantName {name!r}") for name in _repeated(names)
    ]
    keys = [tag.get("Key") for tag in _items(raw.get("Tags"))]
    problems += [("Tags", f"duplicate Key {key!r}") for key in _repeated(keys)]
    return problems


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _repeated(values: list[Any]) -> list[str]:
    """Repeated strings; anything else is not a name, and the shape check reports it."""
    names = [value for value in values if isinstance(value, str)]
    return sorted({name for name in names if names.count(name) > 1})
