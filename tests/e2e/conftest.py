"""End-to-end tests against a real account: they need a deployed provider stack."""

from __future__ import annotations

import os

import boto3
import pytest


@pytest.fixture(scope="session")
def provider_stack() -> str:
    stack = os.environ.get("E2E_PROVIDER_STACK")
    if not stack:
        pytest.skip("E2E_PROVIDER_STACK names no deployed provider stack")
    if boto3.session.Session().get_credentials() is None:
        pytest.skip("no AWS credentials")
    return stack
