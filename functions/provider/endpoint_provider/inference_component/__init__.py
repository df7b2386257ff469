"""Custom::SageMakerInferenceComponent: a model with its compute and copies, on an endpoint that
hosts inference components."""

RESOURCE_TYPE = "Custom::SageMakerInferenceComponent"
