"""The provider's environment, parsed once per execution environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field


class ProviderSettings(BaseModel):
    default_execution_role_arn: str = Field(alias="DEFAULT_EXECUTION_ROLE_ARN")
    # SageMaker's own waiters poll every 30 s; 5 s answers CloudFormation promptly while
    # staying far below DescribeEndpoint's rate limit.
    poll_interval_seconds: float = Field(5.0, gt=0, alias="POLL_INTERVAL_SECONDS")
    handoff_margin_seconds: float = Field(60.0, ge=0, alias="HANDOFF_MARGIN_SECONDS")
    deadline_margin_seconds: float = Field(60.0, ge=0, alias="DEADLINE_MARGIN_SECONDS")

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> ProviderSettings:
        return cls.model_validate(dict(environment))
