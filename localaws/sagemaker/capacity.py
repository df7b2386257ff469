"""What a SageMaker instance offers inference component copies, and where copies fit.

The instance table is EC2's DescribeInstanceTypes answer as moto ships it
(`moto/ec2/resources/instance_types.json.gz`): a SageMaker `ml.<type>` instance has the
accelerators, vCPUs and memory of the EC2 instance `<type>` (the AWS instance-type pages list
both with the same figures). Types missing from that table cannot host components here.
"""

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources as package_resources
from typing import Any

from localaws.sagemaker.wire import ClientError

TABLE = "moto/ec2/resources/instance_types.json.gz"
_ML_PREFIX = "ml."


@dataclass(frozen=True)
class Resources:
    """Accelerator devices, vCPUs and memory: what an instance has or a copy needs."""

    accelerators: float = 0.0
    cpus: float = 0.0
    memory_mb: float = 0.0

    def covers(self, need: "Resources") -> bool:
        return (
            need.accelerators <= self.accelerators
            and need.cpus <= self.cpus
            and need.memory_mb <= self.memory_mb
        )

    def minus(self, need: "Resources") -> "Resources":
        return Resources(
            self.accelerators - need.accelerators,
            self.cpus - need.cpus,
            self.memory_mb - need.memory_mb,
        )


@dataclass(frozen=True)
class Demand:
    """`copies` copies of one component, each needing `each`."""

    key: str
    each: Resources
    copies: int


@dataclass(frozen=True)
class Placement:
    """How many copies of each demand found room, on how many instances holding a copy."""

    placed: dict[str, int]
    instances_used: int


def instance_resources(instance_type: str) -> Resources:
    """Assumption: NumberOfAcceleratorDevicesRequired counts GPUs, or Neuron devices (not
    NeuronCores) on Inferentia and Trainium; NumberOfCpuCoresRequired counts vCPUs; copies may
    use all of an instance's memory (SageMaker's own agent is not subtracted)."""
    spec = _table().get(instance_type.removeprefix(_ML_PREFIX))
    if spec is None:
        raise ClientError(
            "ValidationException",
            f"The simulator cannot place inference components on {instance_type}: its instance"
            f" table ({TABLE}) does not list it.",
        )
    return Resources(
        accelerators=_devices(spec.get("GpuInfo"), "Gpus")
        + _devices(spec.get("NeuronInfo"), "NeuronDevices"),
        cpus=spec["VCpuInfo"]["DefaultVCpus"],
        memory_mb=spec["MemoryInfo"]["SizeInMiB"],
    )


def requirements(compute: dict[str, Any]) -> Resources:
    return Resources(
        accelerators=compute.get("NumberOfAcceleratorDevicesRequired", 0.0),
        cpus=compute.get("NumberOfCpuCoresRequired", 0.0),
        memory_mb=compute["MinMemoryRequiredInMb"],
    )


def place(instance: Resources, instances: int, demands: Iterable[Demand]) -> Placement:
    """Copies placed first-fit, demand by demand, on `instances` instances of one type; a key
    may come back in a later demand, whose copies add to the first's.

    Assumption: placement is recomputed from scratch whenever copies or instances change, as
    if SageMaker consolidated copies onto the fewest instances; the real service leaves
    running copies where they are."""
    free = [instance] * instances
    placed: dict[str, int] = {}
    for demand in demands:
        placed.setdefault(demand.key, 0)
        for _ in range(demand.copies):
            slot = next((n for n, room in enumerate(free) if room.covers(demand.each)), None)
            if slot is None:
                break
            free[slot] = free[slot].minus(demand.each)
            placed[demand.key] += 1
    used = sum(1 for room in free if room != instance)
    return Placement(placed, used)


def _devices(info: dict[str, Any] | None, field: str) -> int:
    return sum(device["Count"] for device in (info or {}).get(field, []))


@cache
def _table() -> dict[str, dict[str, Any]]:
    path = package_resources.files("moto").joinpath(TABLE.removeprefix("moto/"))
    with gzip.open(str(path)) as table:
        return json.load(table)
