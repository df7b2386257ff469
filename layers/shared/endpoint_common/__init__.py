"""Code both Lambda functions share: AWS client construction, observability, SageMaker names."""
