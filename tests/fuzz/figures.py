"""What the fuzz tests tried, shared by the tests (which count) and conftest.py (which prints):
a module of its own, since pytest imports a conftest.py under a name of its own."""

from __future__ import annotations

from collections import Counter

# Per target: inputs tried, crashes, unclear answers, and answers by status.
FIGURES: dict[str, Counter[str]] = {"invoker": Counter()}
