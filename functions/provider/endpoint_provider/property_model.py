"""What every resource type's typed properties share: the two kinds of pydantic model, the
structures several types use, and the one parse that reports every problem with its path.

SageMaker's API decides what each property may hold: a type's PropertySet derives the shape from
botocore's service model, and api_shapes checks and coerces CloudFormation's strings by it ("1"
to 1, "true" to true). The pydantic models hold what the API cannot state: rules across fields,
the provider's own settings, and the fields the provider reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from botocore.model import Shape
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from endpoint_provider.api_shapes import conform
from endpoint_provider.property_errors import InvalidProperties, check, describe, is_cross_field

# What an update of a property does, as the property references word it.
REPLACEMENT = "replacement"
NEW_MODEL = "new model and config, in place"
NEW_CONFIG = "new config, in place"
IN_PLACE = "in place, endpoint untouched"
ON_UPDATES = "in place; governs later updates"
NOTHING = "nothing to change"
NEW_SPECIFICATION = "new model or specification, in place"
COPIES = "copies, in place"

Problem = tuple[str, str]
_Model = TypeVar("_Model", bound=BaseModel)


def prop(default: Any = ..., *, doc: str, **constraints: Any) -> Any:
    """A property with its reference text (the property reference shows AutoScaling's)."""
    return Field(default, description=doc, **constraints)


class ProviderModel(BaseModel):
    """The provider's own settings: every field declared, nothing else accepted."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ApiModel(BaseModel):
    """A SageMaker API structure, already checked and coerced against botocore's shape; only
    the fields a cross-field rule reads are declared, the rest ride along unchanged into the
    request."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)


class TagSpec(ApiModel):
    Key: str = prop(doc="Tag key")
    Value: str = prop(doc="Tag value")


class ContainerSpec(ApiModel):
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


class ResourceProperties(ApiModel):
    """What every resource type's properties hold besides its SageMaker requests."""

    ServiceTimeout: int = prop(3600, doc="Seconds CloudFormation waits for each operation")
    Tags: list[TagSpec] = prop(default_factory=list, doc="Tags")

    @property
    def user_tags(self) -> dict[str, str]:
        return {tag.Key: tag.Value for tag in self.Tags}

    def deployment_timeout_problems(self, timeout: int | None) -> list[Problem]:
        """A deployment that may outlast CloudFormation's wait would be answered by a
        timeout instead of its outcome."""
        if timeout and timeout > self.ServiceTimeout:
            return [
                (
                    "DeploymentConfig",
                    f"MaximumExecutionTimeoutInSeconds {timeout} exceeds ServiceTimeout "
                    f"{self.ServiceTimeout}: CloudFormation would stop waiting first",
                )
            ]
        return []


class AlarmSpec(ApiModel):
    AlarmName: str | None = prop(None, doc="CloudWatch alarm name")


class AutoRollbackConfigSpec(ApiModel):
    Alarms: list[AlarmSpec] | None = prop(None, doc="Alarms that roll a deployment back")

    @property
    def alarm_names(self) -> list[str]:
        return [alarm.AlarmName for alarm in self.Alarms or [] if alarm.AlarmName]


def parse(
    raw: Any,
    shape: Shape,
    model: type[_Model],
    rules: Callable[[dict[str, Any]], list[Problem]] = lambda raw: [],
) -> _Model:
    """CloudFormation's ResourceProperties coerced into `model`, or InvalidProperties with every
    problem.

    Two layers: SageMaker's API shape (types, required members, enums, ranges, lengths and
    patterns, from botocore's model), then the rules the API cannot state (the pydantic model,
    and `rules` across list items, read on the raw input so that they join any field errors).
    A problem the first layer found is not repeated by the second."""
    if not isinstance(raw, dict):
        raise InvalidProperties(
            [f"ResourceProperties: must be a map of properties, got {_kind(raw)}"]
        )
    conformed = conform(shape, raw)
    problems = conformed.problems + shared_rules(raw) + rules(raw)
    try:
        properties = model.model_validate(conformed.value)
    except ValidationError as error:
        reported = [path for path, _ in problems]
        for item in error.errors():
            for path, message in describe(item, model):
                if is_cross_field(item) or not any(_within(path, seen) for seen in reported):
                    problems.append((path, message))
    if problems:
        raise InvalidProperties(
            [f"{path}: {message}" if path else message for path, message in problems]
        )
    return properties


def shared_rules(raw: dict[str, Any]) -> list[Problem]:
    problems = []
    if "PrimaryContainer" in raw and "Containers" in raw:
        problems.append(("Containers", "give PrimaryContainer or Containers, not both"))
    keys = [tag.get("Key") for tag in items(raw.get("Tags"))]
    problems += [("Tags", f"duplicate Key {key!r}") for key in repeated(keys)]
    return problems


def items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def repeated(values: list[Any]) -> list[str]:
    """Repeated strings; anything else is not a name, and the shape check reports it."""
    names = [value for value in values if isinstance(value, str)]
    return sorted({name for name in names if names.count(name) > 1})


def _within(path: str, parent: str) -> bool:
    return path == parent or path.startswith((f"{parent}.", f"{parent}["))


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
