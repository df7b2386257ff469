"""The typed model of a Custom::SageMakerInferenceComponent's properties.

Its shape comes from SageMaker's API (property_shapes); the models below hold what the API
cannot state. A component's model is an existing one (`Specification.ModelName`), a container
given inline (`Specification.Container`), a base component's for an adapter
(`BaseInferenceComponentName`), or one the provider makes from `PrimaryContainer` or
`Containers` and names from its content, as it does for endpoints.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import model_validator

from endpoint_provider.inference_component.property_shapes import MODEL, PROPERTIES
from endpoint_provider.property_errors import check
from endpoint_provider.property_model import (
    ApiModel,
    AutoRollbackConfigSpec,
    ContainerList,
    ContainerSpec,
    Problem,
    ProviderModel,
    ResourceProperties,
    parse,
    prop,
)

# Built at import, in Lambda's init phase, so that no request pays for reading the model.
_PROPERTIES_SHAPE = PROPERTIES.shape
# The model's own members besides its containers: they mean nothing without them.
_MODEL_MEMBERS = tuple(
    name
    for name, route in PROPERTIES.routes.items()
    if route.request == MODEL and name not in ("PrimaryContainer", "Containers")
)


class ComputeRequirementsSpec(ApiModel):
    MinMemoryRequiredInMb: int | None = prop(None, doc="Memory each copy needs")
    MaxMemoryRequiredInMb: int | None = prop(None, doc="Memory each copy may use")

    @model_validator(mode="after")
    def _memory_range(self) -> ComputeRequirementsSpec:
        low, high = self.MinMemoryRequiredInMb, self.MaxMemoryRequiredInMb
        if low is not None and high is not None and high < low:
            check([("MaxMemoryRequiredInMb", f"must be >= MinMemoryRequiredInMb ({low})")])
        return self


class SpecificationSpec(ApiModel):
    ModelName: str | None = prop(None, doc="An existing model (used, never deleted)")
    Container: dict[str, Any] | None = prop(None, doc="A container given inline")
    BaseInferenceComponentName: str | None = prop(None, doc="The base of an adapter")
    ComputeResourceRequirements: ComputeRequirementsSpec | None = prop(
        None, doc="Accelerators, cores and memory of each copy"
    )

    @model_validator(mode="after")
    def _compute(self) -> SpecificationSpec:
        adapter = bool(self.BaseInferenceComponentName)
        if self.ComputeResourceRequirements is None and not adapter:
            check(
                [
                    (
                        "ComputeResourceRequirements",
                        "required, except for an adapter (BaseInferenceComponentName)",
                    )
                ]
            )
        if self.ComputeResourceRequirements is not None and adapter:
            check(
                [
                    (
                        "ComputeResourceRequirements",
                        "not for an adapter: it runs on its base component's compute",
                    )
                ]
            )
        return self

    @property
    def names_model(self) -> bool:
        return bool(self.ModelName or self.Container or self.BaseInferenceComponentName)


INVOCATIONS_PER_COPY: Final = "SageMakerInferenceComponentInvocationsPerCopy"
CONCURRENCY_PER_COPY: Final = "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution"


class ComponentAutoScalingSpec(ProviderModel):
    """Target tracking on the component's copy count (Application Auto Scaling), down to zero
    copies when MinCopies is 0."""

    MinCopies: int = prop(doc="Fewest copies; 0 scales to zero (see the README)", ge=0)
    MaxCopies: int = prop(doc="Most copies", ge=1)
    TargetInvocationsPerCopy: float | None = prop(
        None, doc=f"Invocations per copy per minute to hold ({INVOCATIONS_PER_COPY})", gt=0
    )
    TargetConcurrentRequestsPerCopy: float | None = prop(
        None, doc=f"Requests in flight per copy to hold ({CONCURRENCY_PER_COPY})", gt=0
    )
    ScaleInCooldown: int | None = prop(None, doc="Seconds after a scale-in before the next", ge=0)
    ScaleOutCooldown: int | None = prop(None, doc="Seconds after a scale-out before the next", ge=0)
    DisableScaleIn: bool = prop(False, doc="Never remove copies")

    @model_validator(mode="after")
    def _one_target(self) -> ComponentAutoScalingSpec:
        problems = []
        if self.MinCopies > self.MaxCopies:
            problems.append(("MinCopies", f"must be <= MaxCopies ({self.MaxCopies})"))
        targets = [self.TargetInvocationsPerCopy, self.TargetConcurrentRequestsPerCopy]
        if sum(target is not None for target in targets) != 1:
            problems.append(
                ("", "give one target: TargetInvocationsPerCopy or TargetConcurrentRequestsPerCopy")
            )
        check(problems)
        return self

    @property
    def target(self) -> tuple[float, str]:
        """The value to hold, and the predefined metric it is of."""
        if self.TargetInvocationsPerCopy is not None:
            return self.TargetInvocationsPerCopy, INVOCATIONS_PER_COPY
        assert self.TargetConcurrentRequestsPerCopy is not None
        return self.TargetConcurrentRequestsPerCopy, CONCURRENCY_PER_COPY


class RuntimeConfigSpec(ApiModel):
    CopyCount: int = prop(doc="Copies of the model")


class RollingUpdatePolicySpec(ApiModel):
    MaximumExecutionTimeoutInSeconds: int | None = prop(
        None, doc="Longest the deployment may take (within ServiceTimeout)"
    )


class ComponentDeploymentConfigSpec(ApiModel):
    RollingUpdatePolicy: RollingUpdatePolicySpec | None = prop(None, doc="Rolling update")
    AutoRollbackConfiguration: AutoRollbackConfigSpec | None = prop(None, doc="Alarm rollback")

    @property
    def alarm_names(self) -> list[str]:
        rollback = self.AutoRollbackConfiguration
        return rollback.alarm_names if rollback else []


class ComponentProperties(ResourceProperties):
    """Everything a Custom::SageMakerInferenceComponent accepts, validated and coerced: the
    fields below are the ones the provider itself reads; every other property is a request
    member carried as an extra."""

    InferenceComponentName: str | None = prop(None, doc="Component name")
    EndpointName: str = prop(doc="The endpoint that hosts the component")
    EndpointArn: str | None = prop(None, doc="The native resource's name for the endpoint")
    VariantName: str | None = prop(None, doc="The variant that hosts the component")
    Specification: SpecificationSpec | None = prop(None, doc="The model and its compute")
    Specifications: list[SpecificationSpec] | None = prop(
        None, doc="The model and its compute per instance type"
    )
    RuntimeConfig: RuntimeConfigSpec | None = prop(None, doc="Copies")
    DeploymentConfig: ComponentDeploymentConfigSpec | None = prop(None, doc="Rolling updates")
    PrimaryContainer: ContainerSpec | None = prop(None, doc="The model's container")
    Containers: ContainerList | None = prop(None, doc="An inference pipeline")
    AutoScaling: ComponentAutoScalingSpec | None = prop(
        None, doc="Target tracking on the copy count, down to zero"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ComponentProperties:
        rolling = self.DeploymentConfig and self.DeploymentConfig.RollingUpdatePolicy
        timeout = rolling.MaximumExecutionTimeoutInSeconds if rolling else None
        check(
            self._specification_problems()
            + self._model_problems()
            + self._endpoint_arn_problems()
            + self._scaling_problems()
            + self.deployment_timeout_problems(timeout)
        )
        return self

    def _scaling_problems(self) -> list[Problem]:
        scaling = self.AutoScaling
        if scaling is None:
            return []
        if any(spec.BaseInferenceComponentName for _, spec in self.specification_paths()):
            return [("AutoScaling", "an adapter has its base component's copies: scale that")]
        copies = self.RuntimeConfig.CopyCount if self.RuntimeConfig else None
        if copies is not None and not scaling.MinCopies <= copies <= scaling.MaxCopies:
            return [
                (
                    "RuntimeConfig.CopyCount",
                    f"{copies} must lie within AutoScaling's MinCopies {scaling.MinCopies} and "
                    f"MaxCopies {scaling.MaxCopies}",
                )
            ]
        return []

    def _endpoint_arn_problems(self) -> list[Problem]:
        named = (self.EndpointArn or "").rpartition(":endpoint/")[2]
        if self.EndpointArn is not None and named.lower() != self.EndpointName.lower():
            return [("EndpointArn", f"must be the ARN of endpoint {self.EndpointName}")]
        return []

    def _specification_problems(self) -> list[Problem]:
        if (self.Specification is None) == (self.Specifications is None):
            return [("Specification", "give exactly one of Specification and Specifications")]
        return []

    def _model_problems(self) -> list[Problem]:
        if self.makes_model:
            return [
                (f"{path}.{field}", f"the model comes from {self._container_field}; not both")
                for path, spec in self.specification_paths()
                for field in ("ModelName", "Container", "BaseInferenceComponentName")
                if getattr(spec, field)
            ]
        problems = [
            (
                path,
                "needs ModelName, Container or BaseInferenceComponentName (or give "
                "PrimaryContainer: the provider then makes the model)",
            )
            for path, spec in self.specification_paths()
            if not spec.names_model
        ]
        extra = self.model_extra or {}
        problems += [
            (name, "describes the model made of PrimaryContainer or Containers: give one")
            for name in _MODEL_MEMBERS
            if name in extra
        ]
        return problems

    @property
    def makes_model(self) -> bool:
        return bool(self.PrimaryContainer or self.Containers)

    @property
    def _container_field(self) -> str:
        return "Containers" if self.Containers else "PrimaryContainer"

    def specification_paths(self) -> list[tuple[str, SpecificationSpec]]:
        if self.Specification is not None:
            return [("Specification", self.Specification)]
        return [(f"Specifications[{i}]", spec) for i, spec in enumerate(self.Specifications or [])]

    @property
    def copies(self) -> int | None:
        """The copies to run: the template's count, or with AutoScaling and no count, its
        minimum (at least one: SageMaker refuses zero at creation)."""
        if self.RuntimeConfig:
            return self.RuntimeConfig.CopyCount
        return max(self.AutoScaling.MinCopies, 1) if self.AutoScaling else None


def parse_properties(raw: Any) -> ComponentProperties:
    """Coerce CloudFormation's ResourceProperties, or raise InvalidProperties with every problem."""
    return parse(raw, _PROPERTIES_SHAPE, ComponentProperties)
