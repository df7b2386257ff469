"""The events in events/, shared by tests and `sam local invoke -e`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[2] / "events"
# One event of every front door that reaches the invoker over HTTP.
HTTP_DOOR_EVENTS = (
    "invoke-function-url.json",
    "invoke-http-api.json",
    "invoke-rest-api.json",
    "invoke-alb.json",
    "invoke-alb-multi-value.json",
    "invoke-vpc-lattice-v1.json",
    "invoke-vpc-lattice-v2.json",
)


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())
