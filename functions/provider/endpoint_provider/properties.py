"""The typed model of a Custom::SageMakerEndpoint's properties.

CloudFormation delivers every scalar as a string ("1", "true"): pydantic's lax mode coerces
them by the schema below. Names and shapes follow AWS::SageMaker::Model, ::EndpointConfig and
::Endpoint so that templates port without renaming.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

SAGEMAKER_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
INSTANCE_TYPE_PATTERN = r"^ml\.[a-z0-9]+\.[a-z0-9]+$"

SageMakerName = Annotated[str, Field(pattern=SAGEMAKER_NAME_PATTERN, max_length=63)]


class InvalidProperties(ValueError):
    """Every problem found in the properties, each prefixed with its property path."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class _Properties(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TagSpec(_Properties):
    Key: Annotated[str, Field(min_length=1, max_length=128)]
    Value: Annotated[str, Field(max_length=256)] = ""


class ModelAccessConfigSpec(_Properties):
    AcceptEula: bool


class S3DataSourceSpec(_Properties):
    S3Uri: Annotated[str, Field(pattern=r"^s3://")]
    S3DataType: Literal["S3Prefix", "S3Object"]
    CompressionType: Literal["None", "Gzip"]
    ModelAccessConfig: ModelAccessConfigSpec | None = None


class ModelDataSourceSpec(_Properties):
    S3DataSource: S3DataSourceSpec


class RepositoryAuthConfigSpec(_Properties):
    RepositoryCredentialsProviderArn: str


class ImageConfigSpec(_Properties):
    RepositoryAccessMode: Literal["Platform", "Vpc"]
    RepositoryAuthConfig: RepositoryAuthConfigSpec | None = None


class MultiModelConfigSpec(_Properties):
    ModelCacheSetting: Literal["Enabled", "Disabled"] | None = None


class ContainerSpec(_Properties):
    Image: str | None = None
    ModelDataUrl: Annotated[str, Field(pattern=r"^(https|s3)://")] | None = None
    ModelDataSource: ModelDataSourceSpec | None = None
    Environment: dict[str, str] = Field(default_factory=dict)
    ContainerHostname: SageMakerName | None = None
    Mode: Literal["SingleModel", "MultiModel"] | None = None
    ImageConfig: ImageConfigSpec | None = None
    ModelPackageName: str | None = None
    MultiModelConfig: MultiModelConfigSpec | None = None

    @model_validator(mode="after")
    def _image_or_package(self) -> ContainerSpec:
        if not self.Image and not self.ModelPackageName:
            raise ValueError("needs Image or ModelPackageName")
        if self.ModelDataUrl and self.ModelDataSource:
            raise ValueError("give ModelDataUrl or ModelDataSource, not both")
        return self


class InferenceExecutionConfigSpec(_Properties):
    Mode: Literal["Serial", "Direct"]


class VpcConfigSpec(_Properties):
    SecurityGroupIds: Annotated[list[str], Field(min_length=1, max_length=5)]
    Subnets: Annotated[list[str], Field(min_length=1, max_length=16)]


class ProductionVariantSpec(_Properties):
    VariantName: Annotated[str, Field(pattern=SAGEMAKER_NAME_PATTERN)] = "AllTraffic"
    InstanceType: Annotated[str, Field(pattern=INSTANCE_TYPE_PATTERN)]
    InitialInstanceCount: Annotated[int, Field(ge=1)] = 1
    InitialVariantWeight: Annotated[float, Field(ge=0)] = 1.0
    VolumeSizeInGB: Annotated[int, Field(ge=1, le=512)] | None = None
    ModelDataDownloadTimeoutInSeconds: Annotated[int, Field(ge=60, le=3600)] | None = None
    ContainerStartupHealthCheckTimeoutInSeconds: Annotated[int, Field(ge=60, le=3600)] | None = None
    AcceleratorType: str | None = None


class EndpointProperties(_Properties):
    """Everything a Custom::SageMakerEndpoint accepts, validated and coerced."""

    ServiceToken: str | None = None
    ServiceTimeout: Annotated[int, Field(ge=1, le=3600)] = 3600
    EndpointName: SageMakerName | None = None
    ExecutionRoleArn: Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/")] | None = (
        None
    )
    PrimaryContainer: ContainerSpec | None = None
    Containers: Annotated[list[ContainerSpec], Field(min_length=1, max_length=15)] | None = None
    InferenceExecutionConfig: InferenceExecutionConfigSpec | None = None
    EnableNetworkIsolation: bool = False
    VpcConfig: VpcConfigSpec | None = None
    KmsKeyId: str | None = None
    ProductionVariants: Annotated[list[ProductionVariantSpec], Field(min_length=1, max_length=10)]
    Tags: Annotated[list[TagSpec], Field(max_length=40)] = Field(default_factory=list)

    @property
    def containers(self) -> list[ContainerSpec]:
        return self.Containers or [self.PrimaryContainer]

    @property
    def user_tags(self) -> dict[str, str]:
        return {tag.Key: tag.Value for tag in self.Tags}


def parse_properties(raw: dict[str, Any]) -> EndpointProperties:
    """Coerce CloudFormation's ResourceProperties, or raise InvalidProperties with every problem."""
    problems = _cross_property_problems(raw)
    try:
        properties = EndpointProperties.model_validate(raw)
    except ValidationError as error:
        problems = [_describe(problem) for problem in error.errors()] + problems
    if problems:
        raise InvalidProperties(problems)
    return properties


def _cross_property_problems(raw: dict[str, Any]) -> list[str]:
    """Rules spanning several properties, checked on the raw input so they join field errors."""
    problems = []
    if ("PrimaryContainer" in raw) == ("Containers" in raw):
        problems.append("Containers: give exactly one of PrimaryContainer and Containers")
    problems += _duplicates(raw.get("ProductionVariants"), "VariantName", "AllTraffic")
    problems += _duplicates(raw.get("Tags"), "Key", None)
    return problems


def _duplicates(items: Any, key: str, default: str | None) -> list[str]:
    if not isinstance(items, list):
        return []
    values = [item.get(key, default) for item in items if isinstance(item, dict)]
    repeated = sorted({value for value in values if value is not None and values.count(value) > 1})
    return [f"{_LIST_OF[key]}: duplicate {key} {value!r}" for value in repeated]


_LIST_OF = {"VariantName": "ProductionVariants", "Key": "Tags"}


def _describe(problem: dict[str, Any]) -> str:
    path = _path(problem["loc"])
    message = _message(problem)
    return f"{path}: {message}" if path else message


def _path(location: tuple[Any, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


_PATTERN_HINTS = {
    SAGEMAKER_NAME_PATTERN: "must be 1-63 letters, digits or hyphens, not starting or ending "
    "with a hyphen",
    INSTANCE_TYPE_PATTERN: "must be an ML instance type such as ml.m5.large",
    r"^(https|s3)://": "must be an s3:// or https:// URL",
    r"^s3://": "must be an s3:// URL",
    r"^arn:aws[a-z-]*:iam::\d{12}:role/": "must be an IAM role ARN",
}

_MESSAGES = {
    "missing": lambda p: "required",
    "greater_than_equal": lambda p: f"must be >= {p['ctx']['ge']:g}",
    "less_than_equal": lambda p: f"must be <= {p['ctx']['le']:g}",
    "int_parsing": lambda p: f"must be an integer, got {p['input']!r}",
    "int_from_float": lambda p: f"must be an integer, got {p['input']!r}",
    "float_parsing": lambda p: f"must be a number, got {p['input']!r}",
    "bool_parsing": lambda p: f"must be true or false, got {p['input']!r}",
    "too_short": lambda p: f"needs at least {p['ctx']['min_length']} item(s)",
    "too_long": lambda p: f"allows at most {p['ctx']['max_length']} item(s)",
    "string_too_long": lambda p: f"must be at most {p['ctx']['max_length']} characters",
    "string_too_short": lambda p: f"must be at least {p['ctx']['min_length']} characters",
    "string_pattern_mismatch": lambda p: (
        _PATTERN_HINTS.get(p["ctx"]["pattern"], f"must match {p['ctx']['pattern']}")
        + f", got {p['input']!r}"
    ),
    "literal_error": lambda p: f"must be {p['ctx']['expected']}, got {p['input']!r}",
    "value_error": lambda p: str(p["ctx"]["error"]),
}


def _message(problem: dict[str, Any]) -> str:
    if problem["type"] == "extra_forbidden":
        return _unknown_property(problem["loc"])
    describe = _MESSAGES.get(problem["type"])
    return describe(problem) if describe else problem["msg"]


def _unknown_property(location: tuple[Any, ...]) -> str:
    known = _known_fields(location[:-1])
    close = difflib.get_close_matches(str(location[-1]), known, n=1)
    return f"unknown property (did you mean {close[0]}?)" if close else "unknown property"


def _known_fields(parent: tuple[Any, ...]) -> list[str]:
    model: Any = EndpointProperties
    for part in parent:
        if isinstance(part, int):
            continue
        model = _field_model(model.model_fields[part].annotation)
        if model is None:
            return []
    return list(model.model_fields)


def _field_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _field_model(argument)
        if found:
            return found
    return None
