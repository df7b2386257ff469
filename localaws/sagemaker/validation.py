"""SageMaker refuses a request that breaks its API's shape (a maximum, an enum, a length, a
pattern), which botocore's client-side validation lets through. The simulator runs the same
strict check the provider runs before its first change (`endpoint_provider.api_shapes`), so the
two cannot disagree."""

from typing import Any

from endpoint_provider.api_shapes import request_problems, service_model
from localaws.sagemaker.wire import validation

_SAGEMAKER_OPERATIONS = frozenset(service_model("sagemaker").operation_names)


def check_request(operation: str, params: dict[str, Any]) -> None:
    """Raises SageMaker's ValidationException for a SageMaker request botocore's model refuses;
    SageMaker Runtime's requests pass."""
    if operation not in _SAGEMAKER_OPERATIONS:
        return
    problems = request_problems("sagemaker", operation, params)
    if problems:
        raise validation(f"{len(problems)} validation error(s) detected: " + "; ".join(problems))
