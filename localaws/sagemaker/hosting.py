"""Endpoints that host inference components: the rules of their configurations and updates, and
the placement of component copies on their instances, with managed instance scaling.

A configuration hosts components when its instance variants name no model. Its instances are
counted on DescribeEndpoint's variant summaries (CurrentInstanceCount), which placement keeps
true: managed instance scaling adds instances for copies that do not fit, up to
MaxInstanceCount, and releases those no copy uses, down to MinInstanceCount.
"""

from typing import Any

from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend

from localaws.sagemaker import capacity
from localaws.sagemaker.components import SERVING_STATUSES, Component, Components
from localaws.sagemaker.wire import validation

MANAGED_SCALING_ON_MODELS = (
    "ManagedInstanceScaling is only supported for inference component endpoints."
)
MIXED_VARIANTS = (
    "All production variants of an endpoint configuration must either name a model or, for"
    " inference components, none may: found both."
)
ROLE_REQUIRED = (
    "ExecutionRoleArn is required for an endpoint configuration whose production variants host"
    " inference components (they name no ModelName)."
)
NOT_FOR_COMPONENTS = "{feature} is not supported for endpoints that host inference components."
_SUMMARY_FIELDS = (
    "ManagedInstanceScaling",
    "RoutingConfig",
    "CapacityReservationConfig",
    "AcceleratorPartitionLayouts",
)


def is_component_config(params_or_config: dict[str, Any] | FakeEndpointConfig) -> bool:
    """True when the configuration's variants host inference components (name no model)."""
    found = (
        params_or_config.get("ProductionVariants", [])
        if isinstance(params_or_config, dict)
        else params_or_config.production_variants
    )
    return bool(found) and all("ModelName" not in variant for variant in found)


def check_config(params: dict[str, Any]) -> None:
    """Refuse a CreateEndpointConfig that mixes the two kinds of variants, or that hosts
    components without what they need.

    Assumption: the wording of every refusal but MANAGED_SCALING_ON_MODELS (reported by users of
    the real service); SageMaker's own is not documented."""
    all_variants = [*params["ProductionVariants"], *params.get("ShadowProductionVariants", [])]
    with_model = [variant for variant in all_variants if "ModelName" in variant]
    if with_model and len(with_model) < len(all_variants):
        raise validation(MIXED_VARIANTS)
    if with_model:
        if any("ManagedInstanceScaling" in variant for variant in with_model):
            raise validation(MANAGED_SCALING_ON_MODELS)
        return
    _check_component_config(params, all_variants)


def _check_component_config(params: dict[str, Any], all_variants: list[dict[str, Any]]) -> None:
    if "ExecutionRoleArn" not in params:
        raise validation(ROLE_REQUIRED)
    for feature in ("AsyncInferenceConfig", "ShadowProductionVariants"):
        if feature in params:
            raise validation(NOT_FOR_COMPONENTS.format(feature=feature))
    for variant in all_variants:
        if "ServerlessConfig" in variant:
            raise validation(NOT_FOR_COMPONENTS.format(feature="ServerlessConfig"))
        if "InstanceType" not in variant:
            # InstancePools (several instance types in one variant) are beyond the simulator.
            raise validation(
                f'Production variant "{variant["VariantName"]}" needs an InstanceType: the'
                " simulator hosts inference components on one instance type per variant."
            )
        capacity.instance_resources(variant["InstanceType"])
        _check_managed_scaling(variant)


def _check_managed_scaling(variant: dict[str, Any]) -> None:
    """Assumption: SageMaker refuses MinInstanceCount above MaxInstanceCount, and an initial
    count outside them, when managed instance scaling is enabled."""
    scaling = variant.get("ManagedInstanceScaling", {})
    if scaling.get("Status") != "ENABLED":
        return
    low = scaling.get("MinInstanceCount", 0)
    high = scaling.get("MaxInstanceCount", variant.get("InitialInstanceCount", 1))
    if not low <= variant.get("InitialInstanceCount", low) <= high:
        raise validation(
            f'Production variant "{variant["VariantName"]}" needs MinInstanceCount <='
            " InitialInstanceCount <= MaxInstanceCount for managed instance scaling."
        )


def summary_fields(variant: dict[str, Any]) -> dict[str, Any]:
    """The fields of a configured variant that DescribeEndpoint shows on its summary."""
    return {name: variant[name] for name in _SUMMARY_FIELDS if name in variant}


def check_update(
    endpoint: FakeEndpoint, config: FakeEndpointConfig, hosted: list[Component]
) -> None:
    """Refuse an UpdateEndpoint that would strand the endpoint's inference components.

    Assumption: SageMaker's API reference leaves open what UpdateEndpoint does to an endpoint
    that hosts components. The simulator refuses a configuration with models, or one without a
    variant that hosts components, while components remain (they cannot move); it accepts
    other changes (instance type, count, managed scaling, routing), after which the copies are
    placed again on the new variant, those that no longer fit staying unplaced."""
    if not hosted:
        return
    if not is_component_config(config):
        raise validation(
            f'Cannot update endpoint "{endpoint.arn}" to an endpoint configuration with models'
            " while inference components are deployed on it. Delete them first."
        )
    kept = {variant["VariantName"] for variant in config.production_variants}
    missing = sorted({c.variant_name for c in hosted} - kept)
    if missing:
        raise validation(
            f'Cannot update endpoint "{endpoint.arn}": variant(s) [{", ".join(missing)}] host'
            " inference components and must stay in the endpoint configuration."
        )
    for variant in config.production_variants:
        capacity.instance_resources(variant["InstanceType"])


class Placements:
    """The variants each endpoint runs, as last deployed, and the copies placed on them."""

    def __init__(self) -> None:
        self._deployed: dict[str, list[dict[str, Any]]] = {}
        self._endpoints: dict[str, FakeEndpoint] = {}

    def deployed(self, endpoint: FakeEndpoint, config: FakeEndpointConfig) -> None:
        """Remember the variants `endpoint` now runs; its configuration may be deleted later."""
        self._deployed[endpoint.arn] = list(config.production_variants)
        self._endpoints[endpoint.arn] = endpoint

    def endpoints(self) -> list[FakeEndpoint]:
        """The endpoints that host inference components."""
        return [e for e in self._endpoints.values() if self.hosts_components(e)]

    def variant(self, endpoint: FakeEndpoint, name: str) -> dict[str, Any] | None:
        return next(
            (v for v in self._deployed.get(endpoint.arn, []) if v["VariantName"] == name), None
        )

    def hosts_components(self, endpoint: FakeEndpoint) -> bool:
        found = self._deployed.get(endpoint.arn, [])
        return bool(found) and all("ModelName" not in variant for variant in found)

    def forget(self, endpoint: FakeEndpoint) -> None:
        self._deployed.pop(endpoint.arn, None)
        self._endpoints.pop(endpoint.arn, None)

    def clear(self) -> None:
        self._deployed.clear()
        self._endpoints.clear()

    def rebalance(
        self, backend: SageMakerModelBackend, endpoint: FakeEndpoint, components: Components
    ) -> None:
        """Place every component's copies on the endpoint's variants again, and set each
        variant's instance count to what that takes.

        Assumption: a new endpoint runs InitialInstanceCount instances until copies first
        change; managed scaling then keeps max(MinInstanceCount, instances holding a copy)."""
        hosted = components.on_endpoint(backend, endpoint.endpoint_name)
        for summary in endpoint.production_variants:
            variant = self.variant(endpoint, summary["VariantName"])
            if variant is not None and "ModelName" not in variant:
                on_variant = [c for c in hosted if c.variant_name == summary["VariantName"]]
                _place_variant(variant, summary, on_variant)
        _mirror_adapters(hosted, components)

    def fits(self, endpoint: FakeEndpoint, components: Components, newcomer: Component) -> bool:
        """Whether all of `newcomer`'s copies find room beside the copies already placed."""
        variant = self.variant(endpoint, newcomer.variant_name)
        if variant is None or newcomer.base_name is not None:
            return variant is not None
        summary = next(
            s for s in endpoint.production_variants if s["VariantName"] == newcomer.variant_name
        )
        hosted = [
            c
            for c in components.on_endpoint(newcomer.backend, endpoint.endpoint_name)
            if c.variant_name == newcomer.variant_name and c is not newcomer
        ]
        placement = _placement(variant, summary, [*hosted, newcomer])
        return placement.placed.get(newcomer.name, 0) >= newcomer.target_copies


def _place_variant(
    variant: dict[str, Any], summary: dict[str, Any], hosted: list[Component]
) -> None:
    placement = _placement(variant, summary, hosted)
    for component in _copy_holders(hosted):
        component.current_copies = placement.placed.get(component.name, 0)
    count = _instance_count(variant, summary, placement)
    summary["CurrentInstanceCount"] = summary["DesiredInstanceCount"] = count


def _placement(
    variant: dict[str, Any], summary: dict[str, Any], hosted: list[Component]
) -> capacity.Placement:
    """Copies already running keep their place; new ones come after, in creation order."""
    instance = capacity.instance_resources(variant["InstanceType"])
    holders = _copy_holders(hosted)
    running = [_demand(c, min(c.current_copies, c.target_copies)) for c in holders]
    added = [_demand(c, c.target_copies - min(c.current_copies, c.target_copies)) for c in holders]
    return capacity.place(instance, _pool(variant, summary), [*running, *added])


def _copy_holders(hosted: list[Component]) -> list[Component]:
    return [
        c
        for c in hosted
        if c.base_name is None and (c.status in SERVING_STATUSES or c.target_copies)
    ]


def _demand(component: Component, copies: int) -> capacity.Demand:
    each = capacity.requirements(component.specification["ComputeResourceRequirements"])
    return capacity.Demand(component.name, each, copies)


def _managed(variant: dict[str, Any]) -> dict[str, Any] | None:
    scaling = variant.get("ManagedInstanceScaling")
    return scaling if scaling and scaling.get("Status") == "ENABLED" else None


def _pool(variant: dict[str, Any], summary: dict[str, Any]) -> int:
    """The instances copies may use: up to MaxInstanceCount with managed scaling, else the
    variant's current fleet."""
    scaling = _managed(variant)
    if scaling is None:
        return summary.get("DesiredInstanceCount", variant.get("InitialInstanceCount", 0))
    return scaling.get("MaxInstanceCount", variant.get("InitialInstanceCount", 1))


def _instance_count(
    variant: dict[str, Any], summary: dict[str, Any], placement: capacity.Placement
) -> int:
    scaling = _managed(variant)
    if scaling is None:
        return _pool(variant, summary)
    return max(scaling.get("MinInstanceCount", 0), placement.instances_used)


def _mirror_adapters(hosted: list[Component], components: Components) -> None:
    for adapter in (c for c in hosted if c.base_name is not None):
        base = components.find(adapter.backend, adapter.base_name or "")
        adapter.current_copies = base.current_copies if base else 0
