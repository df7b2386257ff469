"""The local SageMaker: moto's SageMaker with the real service's rules, timeline and runtime."""

from localaws.sagemaker.simulator import Call, SageMakerSimulator, SimulatorSettings

__all__ = ["Call", "SageMakerSimulator", "SimulatorSettings"]
