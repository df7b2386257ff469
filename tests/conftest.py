"""Fixtures every test layer shares."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from hypothesis.internal.conjecture import providers as hypothesis_providers

from tests.support.events import load_event

# What template.yaml's Globals give every function, in place before any test imports the
# shared observability module (it reads them once, as Lambda's import would).
for _variable, _value in {
    "POWERTOOLS_METRICS_NAMESPACE": "SageMakerEndpointProvider",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ.setdefault(_variable, _value)


@pytest.fixture(autouse=True)
def seeded_random() -> None:
    """The provider's poll jitter draws from the random module's generator: seeded for each
    test, a test pauses the same, and makes the same calls, in every run and in any order."""
    random.seed(0)


@pytest.fixture
def endpoint_properties() -> dict[str, Any]:
    """A minimal resource, as CloudFormation delivers it: every scalar a string."""
    return load_event("create.json")["ResourceProperties"]


@pytest.fixture
def generation_independent_of_loaded_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis draws some values from the constants of every local module already imported,
    so a fixed seed gave other inputs (and figures) alone than within the whole suite, and
    after any edit anywhere. Fuzzing draws from its strategies alone."""
    monkeypatch.setattr(
        hypothesis_providers, "_get_local_constants", hypothesis_providers.Constants
    )
    hypothesis_providers.CONSTANTS_CACHE.cache.clear()
