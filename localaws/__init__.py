"""Local AWS for tests and demos: moto, plus the SageMaker behaviour moto lacks."""

from localaws.server import LocalAws
from localaws.simulator import Call, SageMakerSimulator, SimulatorSettings

__all__ = ["Call", "LocalAws", "SageMakerSimulator", "SimulatorSettings"]
