"""Code both Lambda functions share: AWS client construction and observability."""
