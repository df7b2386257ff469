"""Fixtures every test layer shares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def endpoint_properties() -> dict[str, Any]:
    """A minimal resource, as CloudFormation delivers it: every scalar a string."""
    return load_event("create.json")["ResourceProperties"]
