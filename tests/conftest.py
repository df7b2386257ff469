"""Fixtures every test layer shares."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.support.events import load_event

# What template.yaml's Globals give every function, in place before any test imports the
# shared observability module (it reads them once, as Lambda's import would).
for _variable, _value in {
    "POWERTOOLS_METRICS_NAMESPACE": "SageMakerEndpointProvider",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_variable, _value)


@pytest.fixture
def endpoint_properties() -> dict[str, Any]:
    """A minimal resource, as CloudFormation delivers it: every scalar a string."""
    return load_event("create.json")["ResourceProperties"]
