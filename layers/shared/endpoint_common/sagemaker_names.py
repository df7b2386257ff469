"""What SageMaker accepts as a name (botocore's EndpointName, ModelName, VariantName...), for
both functions: the provider checks templates against it, the invoker its environment."""

SAGEMAKER_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
