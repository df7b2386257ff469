"""Custom::SageMakerEndpoint: a model, endpoint config and endpoint as one resource, or an
endpoint that hosts inference components."""
