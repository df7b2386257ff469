"""Decides the least disruptive way from the old properties to the new ones. Pure.

The plan holds what the executor takes from it: replace or not, and the tag changes. Whether
the endpoint needs the new config, and its scaling reconciled, the executor decides from the
live endpoint (a rolled-back update leaves it on a config the old properties never named);
`reasons` says what the properties changed, for the log."""

from __future__ import annotations

from dataclasses import dataclass, field

from endpoint_provider.endpoint.desired import ConfigSpec, DesiredState


@dataclass(frozen=True)
class UpdatePlan:
    replace: bool = False
    tags_to_add: dict[str, str] = field(default_factory=dict)
    tag_keys_to_remove: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


def plan_update(
    old: DesiredState | None, new: DesiredState, current_endpoint_name: str
) -> UpdatePlan:
    """`old` is None when the old properties no longer parse (the rollback of an update that
    was rejected for invalid properties): every tag is added, and the reasons name the config
    and the scaling, which the executor compares with the live endpoint anyway."""
    if new.endpoint_name.lower() != current_endpoint_name.lower():
        return UpdatePlan(
            replace=True,
            reasons=(f"EndpointName {current_endpoint_name} -> {new.endpoint_name}: replacement",),
        )
    old_tags = old.user_tags if old else {}
    tags_to_add = {k: v for k, v in new.user_tags.items() if old_tags.get(k) != v}
    tag_keys_to_remove = tuple(sorted(set(old_tags) - set(new.user_tags)))
    new_config = old is None or old.config.name != new.config.name
    scaling_changed = old is None or old.scaling != new.scaling
    reasons = []
    if new_config:
        reasons.append(f"endpoint config -> {new.config.name}: update in place")
    if scaling_changed:
        reasons.append("autoscaling: in place")
    if tags_to_add or tag_keys_to_remove:
        reasons.append("tags: in place")
    return UpdatePlan(
        tags_to_add=tags_to_add,
        tag_keys_to_remove=tag_keys_to_remove,
        reasons=tuple(reasons),
    )


def variants_to_suspend(
    live_instance_types: dict[str, str | None],
    registered: set[str],
    new_config: ConfigSpec,
) -> list[str]:
    """`registered`: the variants that are registered scalable targets."""
    """Autoscaled variants the update would remove or move to another instance type: SageMaker
    refuses such an update while they are registered scalable targets."""
    wanted = {
        variant["VariantName"]: variant.get("InstanceType") for variant in new_config.variants
    }
    return sorted(
        variant
        for variant in registered
        if variant not in wanted or wanted[variant] != live_instance_types.get(variant)
    )
