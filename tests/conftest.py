"""Fixtures every test layer shares."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parent.parent / "events"

# What template.yaml's Globals give every function, in place before any test imports the
# shared observability module (it reads them once, as Lambda's import would).
for _variable, _value in {
    "POWERTOOLS_METRICS_NAMESPACE": "SageMakerEndpointProvider",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_variable, _value)


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def endpoint_properties() -> dict[str, Any]:
    """A minimal resource, as CloudFormation delivers it: every scalar a string."""
    return load_event("create.json")["ResourceProperties"]
