"""Fixtures for the pure tests."""

from __future__ import annotations

import pytest

from endpoint_provider.endpoint.desired import DesiredState, desired_state
from endpoint_provider.endpoint.properties import parse_properties
from tests.unit.stack_resource import DEFAULT_ROLE, STACK_ID


@pytest.fixture
def state():
    """The desired state of raw CloudFormation properties, for a fixed stack resource."""

    def build(raw: dict) -> DesiredState:
        return desired_state(
            parse_properties(raw),
            stack_id=STACK_ID,
            logical_id="Endpoint",
            default_role_arn=DEFAULT_ROLE,
        )

    return build
