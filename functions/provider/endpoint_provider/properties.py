"""The typed model of a Custom::SageMakerEndpoint's properties.

CloudFormation delivers every scalar as a string ("1", "true"): pydantic's lax mode coerces
them by the schema below. Names and shapes follow AWS::SageMaker::Model, ::EndpointConfig and
::Endpoint so that templates port without renaming. Each field's description and update
behaviour feed the generated property reference (docs/Custom-SageMakerEndpoint.md).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from endpoint_provider.property_errors import (
    INSTANCE_TYPE_PATTERN,
    MODEL_URL_PATTERN,
    ROLE_ARN_PATTERN,
    S3_URI_PATTERN,
    SAGEMAKER_NAME_PATTERN,
    check,
    describe,
)

REPLACEMENT = "replacement"
NEW_MODEL = "new model and config, in place"
NEW_CONFIG = "new config, in place"
IN_PLACE = "in place, endpoint untouched"
ON_UPDATES = "in place; governs later updates"
NOTHING = "nothing to change"


def prop(default: Any = ..., *, doc: str, update: str | None = None, **constraints: Any) -> Any:
    """A property with its reference text; `update` where it differs from its parent's."""
    extra = {"update": update} if update else None
    return Field(default, description=doc, json_schema_extra=extra, **constraints)


class InvalidProperties(ValueError):
    """Every problem found in the properties, each prefixed with its property path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s): " + "; ".join(problems))


class _Properties(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TagSpec(_Properties):
    Key: str = prop(doc="Tag key", min_length=1, max_length=128)
    Value: str = prop("", doc="Tag value", max_length=256)


class ModelAccessConfigSpec(_Properties):
    AcceptEula: bool = prop(doc="Accepts the model's end-user licence agreement")


class S3DataSourceSpec(_Properties):
    S3Uri: str = prop(doc="Model data location", pattern=S3_URI_PATTERN)
    S3DataType: Literal["S3Prefix", "S3Object"] = prop(doc="A prefix or a single object")
    CompressionType: Literal["None", "Gzip"] = prop(doc="Gzip for a model.tar.gz")
    ModelAccessConfig: ModelAccessConfigSpec | None = prop(None, doc="EULA acceptance")


class ModelDataSourceSpec(_Properties):
    S3DataSource: S3DataSourceSpec = prop(doc="Uncompressed or compressed model data in S3")


class RepositoryAuthConfigSpec(_Properties):
    RepositoryCredentialsProviderArn: str = prop(doc="Lambda that returns registry credentials")


class ImageConfigSpec(_Properties):
    RepositoryAccessMode: Literal["Platform", "Vpc"] = prop(doc="Where the image is pulled from")
    RepositoryAuthConfig: RepositoryAuthConfigSpec | None = prop(None, doc="Private registry")


class MultiModelConfigSpec(_Properties):
    ModelCacheSetting: Literal["Enabled", "Disabled"] | None = prop(None, doc="Model caching")


class ContainerSpec(_Properties):
    Image: str | None = prop(None, doc="Inference image URI (ECR or a private registry)")
    ModelDataUrl: str | None = prop(None, doc="S3 URL of model.tar.gz", pattern=MODEL_URL_PATTERN)
    ModelDataSource: ModelDataSourceSpec | None = prop(None, doc="Model data in its native shape")
    Environment: dict[str, str] = prop(
        default_factory=dict, doc="Environment variables of the container"
    )
    ContainerHostname: str | None = prop(
        None, doc="Hostname in an inference pipeline", pattern=SAGEMAKER_NAME_PATTERN
    )
    Mode: Literal["SingleModel", "MultiModel"] | None = prop(None, doc="Multi-model endpoints")
    ImageConfig: ImageConfigSpec | None = prop(None, doc="Image access")
    ModelPackageName: str | None = prop(None, doc="Model package (Marketplace or registry)")
    MultiModelConfig: MultiModelConfigSpec | None = prop(None, doc="Multi-model settings")

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


class InferenceExecutionConfigSpec(_Properties):
    Mode: Literal["Serial", "Direct"] = prop(doc="Serial pipeline, or direct invocation by name")


class VpcConfigSpec(_Properties):
    SecurityGroupIds: list[str] = prop(doc="Security groups", min_length=1, max_length=5)
    Subnets: list[str] = prop(doc="Private subnets", min_length=1, max_length=16)


class ServerlessConfigSpec(_Properties):
    MemorySizeInMB: int = prop(doc="Memory", ge=1024, le=6144, multiple_of=1024)
    MaxConcurrency: int = prop(doc="Concurrent invocations at most", ge=1, le=200)
    ProvisionedConcurrency: int | None = prop(
        None, doc="Pre-warmed concurrency, at most MaxConcurrency", ge=1, le=200
    )

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


class ProductionVariantSpec(_Properties):
    VariantName: str = prop("AllTraffic", doc="Variant name", pattern=SAGEMAKER_NAME_PATTERN)
    InstanceType: str | None = prop(
        None, doc="Instance type; omit for a serverless variant", pattern=INSTANCE_TYPE_PATTERN
    )
    InitialInstanceCount: int | None = prop(
        None, doc="Instances at creation (default 1; not for serverless)", ge=1
    )
    InitialVariantWeight: float = prop(1.0, doc="Share of traffic, relative to the others", ge=0)
    VolumeSizeInGB: int | None = prop(None, doc="Storage volume per instance", ge=1, le=512)
    ModelDataDownloadTimeoutInSeconds: int | None = prop(
        None, doc="Time to download the model", ge=60, le=3600
    )
    ContainerStartupHealthCheckTimeoutInSeconds: int | None = prop(
        None, doc="Time for the container to pass its ping check", ge=60, le=3600
    )
    AcceleratorType: str | None = prop(None, doc="Elastic Inference accelerator")
    ServerlessConfig: ServerlessConfigSpec | None = prop(None, doc="Makes the variant serverless")
    Containers: ContainerList | None = prop(
        None,
        doc="This variant's own model (1-15 containers) instead of the resource's",
        update=NEW_MODEL,
        min_length=1,
        max_length=15,
    )
    ModelName: str | None = prop(
        None, doc="An existing model to serve (used, never deleted)", pattern=SAGEMAKER_NAME_PATTERN
    )
    AutoScaling: AutoScalingSpec | None = prop(
        None, doc="Target-tracking autoscaling of the instance count", update=IN_PLACE
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProductionVariantSpec:
        problems = []
        if (self.InstanceType is None) == (self.ServerlessConfig is None):
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


class S3NotificationSpec(_Properties):
    SuccessTopic: str | None = prop(None, doc="SNS topic told of each result")
    ErrorTopic: str | None = prop(None, doc="SNS topic told of each failure")
    IncludeInferenceResponseIn: list[Literal["SNS_TOPIC", "S3"]] | None = prop(
        None, doc="Where the response body goes"
    )


class AsyncOutputConfigSpec(_Properties):
    S3OutputPath: str = prop(doc="Where results are written", pattern=S3_URI_PATTERN)
    S3FailurePath: str | None = prop(None, doc="Where failures are written", pattern=S3_URI_PATTERN)
    KmsKeyId: str | None = prop(None, doc="KMS key for the results")
    NotificationConfig: S3NotificationSpec | None = prop(None, doc="SNS notifications")


class AsyncClientConfigSpec(_Properties):
    MaxConcurrentInvocationsPerInstance: int | None = prop(
        None, doc="Requests one instance works on at once", ge=1, le=1000
    )


class AsyncInferenceConfigSpec(_Properties):
    ClientConfig: AsyncClientConfigSpec | None = prop(None, doc="Per-instance concurrency")
    OutputConfig: AsyncOutputConfigSpec = prop(doc="Result and failure locations, notifications")


class CaptureOptionSpec(_Properties):
    CaptureMode: Literal["Input", "Output", "InputAndOutput"] = prop(doc="What is captured")


class CaptureContentTypeHeaderSpec(_Properties):
    CsvContentTypes: list[str] | None = prop(None, doc="Content types captured as CSV")
    JsonContentTypes: list[str] | None = prop(None, doc="Content types captured as JSON")


class DataCaptureConfigSpec(_Properties):
    EnableCapture: bool = prop(True, doc="Capture on or off")
    InitialSamplingPercentage: int = prop(doc="Share of requests captured", ge=0, le=100)
    DestinationS3Uri: str = prop(doc="Where captures are written", pattern=S3_URI_PATTERN)
    KmsKeyId: str | None = prop(None, doc="KMS key for the captures")
    CaptureOptions: list[CaptureOptionSpec] = prop(
        doc="Input, output or both", min_length=1, max_length=2
    )
    CaptureContentTypeHeader: CaptureContentTypeHeaderSpec | None = prop(
        None, doc="How payloads are encoded in captures"
    )


class CapacitySizeSpec(_Properties):
    Type: Literal["INSTANCE_COUNT", "CAPACITY_PERCENT"] = prop(doc="Instances or a percentage")
    Value: int = prop(doc="How many, or what percentage", ge=1)


class TrafficRoutingConfigSpec(_Properties):
    Type: Literal["ALL_AT_ONCE", "CANARY", "LINEAR"] = prop(
        doc="How traffic moves to the new fleet"
    )
    WaitIntervalInSeconds: int | None = prop(None, doc="Bake time between steps", ge=0, le=3600)
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
    if size.Type == "CAPACITY_PERCENT" and not low <= size.Value <= high:
        return [(f"{name}.Value", f"must be {low}-{high} percent")]
    return []


class BlueGreenUpdatePolicySpec(_Properties):
    TrafficRoutingConfiguration: TrafficRoutingConfigSpec = prop(doc="Traffic shifting")
    TerminationWaitInSeconds: int | None = prop(
        None, doc="Old fleet kept after the shift", ge=0, le=3600
    )
    MaximumExecutionTimeoutInSeconds: int | None = prop(
        None, doc="Longest the deployment may take (within ServiceTimeout)", ge=600, le=28800
    )


class RollingUpdatePolicySpec(_Properties):
    MaximumBatchSize: CapacitySizeSpec = prop(doc="Instances updated per batch")
    WaitIntervalInSeconds: int = prop(doc="Bake time between batches", ge=0, le=3600)
    MaximumExecutionTimeoutInSeconds: int | None = prop(
        None, doc="Longest the deployment may take (within ServiceTimeout)", ge=600, le=28800
    )
    RollbackMaximumBatchSize: CapacitySizeSpec | None = prop(None, doc="Batch size of a rollback")


class AlarmSpec(_Properties):
    AlarmName: str = prop(doc="CloudWatch alarm name")


class AutoRollbackConfigSpec(_Properties):
    Alarms: list[AlarmSpec] = prop(
        doc="Alarms that roll a deployment back", min_length=1, max_length=10
    )


class DeploymentConfigSpec(_Properties):
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
        return [alarm.AlarmName for alarm in rollback.Alarms] if rollback else []


class VariantPropertySpec(_Properties):
    VariantPropertyType: Literal["DesiredInstanceCount", "DesiredWeight", "DataCaptureConfig"] = (
        prop(doc="Property taken from the new config instead of kept")
    )


class EndpointProperties(_Properties):
    """Everything a Custom::SageMakerEndpoint accepts, validated and coerced."""

    ServiceToken: str | None = prop(
        None, doc="The provider's ARN (the stack export)", update=NOTHING
    )
    ServiceTimeout: int = prop(
        3600, doc="Seconds CloudFormation waits for each operation", update=NOTHING, ge=1, le=3600
    )
    EndpointName: str | None = prop(
        None,
        doc="Endpoint name; default derived from stack and logical ID",
        update=REPLACEMENT,
        pattern=SAGEMAKER_NAME_PATTERN,
        max_length=63,
    )
    ExecutionRoleArn: str | None = prop(
        None,
        doc="Role SageMaker assumes; default the provider stack's role",
        update=NEW_MODEL,
        pattern=ROLE_ARN_PATTERN,
    )
    PrimaryContainer: ContainerSpec | None = prop(
        None, doc="The model's container (or use Containers)", update=NEW_MODEL
    )
    Containers: ContainerList | None = prop(
        None,
        doc="An inference pipeline of 1-15 containers",
        update=NEW_MODEL,
        min_length=1,
        max_length=15,
    )
    InferenceExecutionConfig: InferenceExecutionConfigSpec | None = prop(
        None, doc="How pipeline containers are invoked", update=NEW_MODEL
    )
    EnableNetworkIsolation: bool = prop(
        False, doc="No network access for the containers", update=NEW_MODEL
    )
    VpcConfig: VpcConfigSpec | None = prop(None, doc="VPC the model runs in", update=NEW_MODEL)
    KmsKeyId: str | None = prop(None, doc="KMS key for the instances' volumes", update=NEW_CONFIG)
    ProductionVariants: list[ProductionVariantSpec] = prop(
        doc="Variants serving traffic", update=NEW_CONFIG, min_length=1, max_length=10
    )
    ShadowProductionVariants: list[ProductionVariantSpec] | None = prop(
        None,
        doc="Variants receiving a copy of the traffic",
        update=NEW_CONFIG,
        min_length=1,
        max_length=10,
    )
    AsyncInferenceConfig: AsyncInferenceConfigSpec | None = prop(
        None, doc="Makes the endpoint asynchronous", update=NEW_CONFIG
    )
    DataCaptureConfig: DataCaptureConfigSpec | None = prop(
        None, doc="Captures requests and responses to S3", update=NEW_CONFIG
    )
    DeploymentConfig: DeploymentConfigSpec | None = prop(
        None,
        doc="How updates roll out: blue/green or rolling, with alarm rollback",
        update=ON_UPDATES,
    )
    RetainAllVariantProperties: bool | None = prop(
        None,
        doc="Keep live instance counts and weights on update; default true when a "
        "variant autoscales",
        update=ON_UPDATES,
    )
    ExcludeRetainedVariantProperties: list[VariantPropertySpec] | None = prop(
        None, doc="Properties an update takes from the new config anyway", update=ON_UPDATES
    )
    Tags: list[TagSpec] = prop(
        default_factory=list,
        doc="Tags on the endpoint, config and models",
        update=IN_PLACE,
        max_length=40,
    )

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
        uses_shared = any(not (v.Containers or v.ModelName) for v in self.variants)
        if uses_shared and not (self.PrimaryContainer or self.Containers):
            problems.append(
                ("PrimaryContainer", "required unless every variant has Containers or ModelName")
            )
        return problems

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


def parse_properties(raw: dict[str, Any]) -> EndpointProperties:
    """Coerce CloudFormation's ResourceProperties, or raise InvalidProperties with every problem."""
    problems = _raw_problems(raw)
    try:
        properties = EndpointProperties.model_validate(raw)
    except ValidationError as error:
        fields = [line for item in error.errors() for line in describe(item, EndpointProperties)]
        problems = fields + problems
    if problems:
        raise InvalidProperties(problems)
    return properties


def _raw_problems(raw: dict[str, Any]) -> list[str]:
    """Rules across list items, checked on the raw input so that they join any field errors
    instead of waiting for them to be fixed."""
    problems = []
    if "PrimaryContainer" in raw and "Containers" in raw:
        problems.append("Containers: give PrimaryContainer or Containers, not both")
    variants = _items(raw.get("ProductionVariants")) + _items(raw.get("ShadowProductionVariants"))
    names = [variant.get("VariantName", "AllTraffic") for variant in variants]
    problems += [f"ProductionVariants: duplicate VariantName {name!r}" for name in _repeated(names)]
    keys = [tag.get("Key") for tag in _items(raw.get("Tags"))]
    problems += [f"Tags: duplicate Key {key!r}" for key in _repeated(keys)]
    return problems


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _repeated(values: list[Any]) -> list[Any]:
    return sorted({value for value in values if value is not None and values.count(value) > 1})
