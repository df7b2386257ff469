"""Every SageMaker call the provider makes, with SageMaker's error conventions absorbed.

SageMaker reports "not found" and "already exists" as ValidationExceptions told apart only by
their message; this module turns them into None, adoption, or ForeignResource.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from endpoint_common.observability import logger
from endpoint_provider.models import ModelSpec
from endpoint_provider.naming import STACK_TAG, Owner, child_prefix

if TYPE_CHECKING:
    from types_boto3_sagemaker import SageMakerClient
    from types_boto3_sagemaker.type_defs import (
        DescribeEndpointConfigOutputTypeDef,
        DescribeEndpointOutputTypeDef,
        DescribeInferenceComponentOutputTypeDef,
        TagTypeDef,
    )

_Described = TypeVar("_Described")

TRANSIENT_STATUSES = frozenset({"Creating", "Updating", "SystemUpdating", "RollingBack"})
# A component's statuses in which SageMaker refuses a change (there is no RollingBack: a
# rolling update that fails goes back to InService on the old specification).
COMPONENT_TRANSIENT_STATUSES = frozenset({"Creating", "Updating"})


class ForeignResource(Exception):
    """A resource with our name exists but carries another owner's tags (or none)."""

    def __init__(self, kind: str, name: str, owner: Owner):
        self.kind = kind
        self.name = name
        super().__init__(
            f"{kind} {name} already exists and is not managed by {owner.logical_id} of this "
            f"stack; set another {owner.name_property} or delete it"
        )


@dataclass(frozen=True)
class HostedComponent:
    name: str
    # The owning stack's ID, from the ownership tags; None for a component no stack made.
    stack_id: str | None
    status: str


class EndpointBusy(Exception):
    """SageMaker refused a change because the endpoint or component is in a transitional
    state."""


def is_not_found(error: ClientError) -> bool:
    message = error.response.get("Error", {}).get("Message", "").lower()
    return "could not find" in message or "does not exist" in message


def _already_exists(error: ClientError) -> bool:
    return "already existing" in error.response.get("Error", {}).get("Message", "").lower()


def _in_progress(error: ClientError) -> bool:
    return "in-progress" in error.response.get("Error", {}).get("Message", "").lower()


class SageMakerGateway:
    def __init__(self, client: SageMakerClient):
        self._client = client

    def describe_endpoint(self, name: str) -> DescribeEndpointOutputTypeDef | None:
        return self._describe(self._client.describe_endpoint, EndpointName=name)

    def describe_endpoint_config(self, name: str) -> DescribeEndpointConfigOutputTypeDef | None:
        return self._describe(self._client.describe_endpoint_config, EndpointConfigName=name)

    def tags(self, arn: str) -> dict[str, str]:
        pages = self._client.get_paginator("list_tags").paginate(ResourceArn=arn)
        return {tag["Key"]: tag["Value"] for page in pages for tag in page["Tags"]}

    def model_exists(self, name: str) -> bool:
        return self._describe(self._client.describe_model, ModelName=name) is not None

    def ensure_model(self, spec: ModelSpec, tags: dict[str, str], owner: Owner) -> None:
        try:
            self._client.create_model(**spec.request, Tags=tag_list(tags))
        except ClientError as error:
            if not _already_exists(error):
                raise
            arn = self._client.describe_model(ModelName=spec.name)["ModelArn"]
            self._adopt("model", spec.name, arn, owner)

    def ensure_endpoint_config(
        self, request: dict[str, Any], tags: dict[str, str], owner: Owner
    ) -> None:
        name = request["EndpointConfigName"]
        try:
            self._client.create_endpoint_config(**request, Tags=tag_list(tags))
        except ClientError as error:
            if not _already_exists(error):
                raise
            arn = self._client.describe_endpoint_config(EndpointConfigName=name)[
                "EndpointConfigArn"
            ]
            self._adopt("endpoint config", name, arn, owner)

    def create_endpoint(self, name: str, config_name: str, tags: dict[str, str]) -> bool:
        """Creates the endpoint; False when one of that name already exists."""
        try:
            self._client.create_endpoint(
                EndpointName=name, EndpointConfigName=config_name, Tags=tag_list(tags)
            )
        except ClientError as error:
            if _already_exists(error):
                return False
            raise
        return True

    def owns(self, arn: str, owner: Owner) -> bool:
        return owner.owns(self.tags(arn))

    def update_endpoint(self, name: str, config_name: str, **options: Any) -> None:
        self._busy_aware(
            f"endpoint {name}",
            self._client.update_endpoint,
            EndpointName=name,
            EndpointConfigName=config_name,
            **options,
        )

    def delete_endpoint(self, name: str) -> None:
        """Starts deleting; tolerates an endpoint already gone, raises EndpointBusy mid-change."""
        try:
            self._busy_aware(f"endpoint {name}", self._client.delete_endpoint, EndpointName=name)
        except ClientError as error:
            if not is_not_found(error):
                raise

    def retag(self, arn: str, add: dict[str, str], remove: tuple[str, ...]) -> None:
        if remove:
            self._client.delete_tags(ResourceArn=arn, TagKeys=list(remove))
        if add:
            self._client.add_tags(ResourceArn=arn, Tags=tag_list(add))

    def owned_configs(self, owner: Owner) -> list[DescribeEndpointConfigOutputTypeDef]:
        """Every endpoint config created for this owner's endpoint, described."""
        prefix = child_prefix(owner.endpoint_name)
        pages = self._client.get_paginator("list_endpoint_configs").paginate(NameContains=prefix)
        names = [
            item["EndpointConfigName"]
            for page in pages
            for item in page["EndpointConfigs"]
            if item["EndpointConfigName"].startswith(prefix)
        ]
        described = [self.describe_endpoint_config(name) for name in names]
        return [
            config
            for config in described
            if config and owner.owns_child(self.tags(config["EndpointConfigArn"]))
        ]

    def owned_models(self, owner: Owner) -> list[str]:
        prefix = child_prefix(owner.name)
        pages = self._client.get_paginator("list_models").paginate(NameContains=prefix)
        return [
            item["ModelName"]
            for page in pages
            for item in page["Models"]
            if item["ModelName"].startswith(prefix)
            and owner.owns_child(self.tags(item["ModelArn"]))
        ]

    def delete_endpoint_config(self, name: str) -> None:
        self._tolerating_not_found(self._client.delete_endpoint_config, EndpointConfigName=name)

    def delete_model(self, name: str) -> None:
        self._tolerating_not_found(self._client.delete_model, ModelName=name)

    def delete_owned_models(self, owner: Owner, keep: set[str]) -> None:
        """Deletes the models made for `owner`, but those in `keep` and those an inference
        component uses: a component's model is named by no endpoint config, and another stack's
        component may serve a model this resource made (`!GetAtt Endpoint.ModelName`)."""
        doomed = [model for model in self.owned_models(owner) if model not in keep]
        if not doomed:
            return
        in_use = self.models_of_components()
        for model in doomed:
            if model in in_use:
                logger.info("model kept: an inference component uses it", model=model)
            else:
                self.delete_model(model)

    # Inference components

    def describe_inference_component(
        self, name: str
    ) -> DescribeInferenceComponentOutputTypeDef | None:
        return self._describe(
            self._client.describe_inference_component, InferenceComponentName=name
        )

    def create_inference_component(self, request: dict[str, Any], tags: dict[str, str]) -> bool:
        """Creates the component; False when one of that name already exists."""
        try:
            self._client.create_inference_component(**request, Tags=tag_list(tags))
        except ClientError as error:
            if _already_exists(error):
                return False
            raise
        return True

    def update_inference_component(self, request: dict[str, Any]) -> None:
        name = request["InferenceComponentName"]
        self._busy_aware(
            f"inference component {name}", self._client.update_inference_component, **request
        )

    def update_copy_count(self, name: str, copies: int) -> None:
        self._busy_aware(
            f"inference component {name}",
            self._client.update_inference_component_runtime_config,
            InferenceComponentName=name,
            DesiredRuntimeConfig={"CopyCount": copies},
        )

    def delete_inference_component(self, name: str) -> None:
        """Starts deleting; tolerates a component already gone, raises EndpointBusy mid-change."""
        try:
            self._busy_aware(
                f"inference component {name}",
                self._client.delete_inference_component,
                InferenceComponentName=name,
            )
        except ClientError as error:
            if not is_not_found(error):
                raise

    def hosted_components(self, endpoint_name: str) -> list[HostedComponent]:
        """The inference components on an endpoint, with the stack their tags name."""
        pages = self._client.get_paginator("list_inference_components").paginate(
            EndpointNameEquals=endpoint_name
        )
        hosted = []
        for page in pages:
            for item in page["InferenceComponents"]:
                tags = self._describe(self.tags, arn=item["InferenceComponentArn"])
                if tags is not None:
                    hosted.append(
                        HostedComponent(
                            item["InferenceComponentName"],
                            tags.get(STACK_TAG),
                            item["InferenceComponentStatus"],
                        )
                    )
        return hosted

    def models_of_components(self) -> set[str]:
        """The models every inference component of the account serves (described one by one:
        listing them does not name their models)."""
        pages = self._client.get_paginator("list_inference_components").paginate()
        names = [
            item["InferenceComponentName"] for page in pages for item in page["InferenceComponents"]
        ]
        models = set()
        for name in names:
            component = self.describe_inference_component(name)
            for spec in _specifications(component) if component else []:
                if model := spec.get("ModelName"):
                    models.add(model)
        return models

    def _adopt(self, kind: str, name: str, arn: str, owner: Owner) -> None:
        """A redelivered request finds what its first delivery created: ours, so reuse it."""
        if not owner.owns_child(self.tags(arn)):
            raise ForeignResource(kind, name, owner)

    @staticmethod
    def _busy_aware(what: str, call: Callable[..., object], **kwargs: Any) -> None:
        try:
            call(**kwargs)
        except ClientError as error:
            if _in_progress(error):
                raise EndpointBusy(what) from error
            raise

    @staticmethod
    def _describe(call: Callable[..., _Described], **kwargs: str) -> _Described | None:
        try:
            return call(**kwargs)
        except ClientError as error:
            if is_not_found(error):
                return None
            raise

    @staticmethod
    def _tolerating_not_found(call: Callable[..., object], **kwargs: str) -> None:
        try:
            call(**kwargs)
        except ClientError as error:
            if not is_not_found(error):
                raise


def _specifications(component: DescribeInferenceComponentOutputTypeDef) -> list[Any]:
    single = component.get("Specification")
    return [single] if single else list(component.get("Specifications", []))


def tag_list(tags: dict[str, str]) -> list[TagTypeDef]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]
