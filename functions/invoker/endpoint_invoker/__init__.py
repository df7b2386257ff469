"""The invoker's logic: event shapes, SageMaker Runtime calls and error mapping."""
