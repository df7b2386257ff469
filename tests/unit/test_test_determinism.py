"""What keeps the suite deterministic: fixed-seed fuzzing draws the same inputs whatever else
the run imported, and every test starts from the same random state."""

from __future__ import annotations

import importlib
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st


def _fixed_seed_draws() -> list[int]:
    drawn: list[int] = []

    @seed(20261205)
    @settings(derandomize=True, database=None, max_examples=200)
    @given(st.integers())
    def record(value: int) -> None:
        drawn.append(value)

    record()
    return drawn


@pytest.mark.usefixtures("generation_independent_of_loaded_code")
def test_fixed_seed_inputs_ignore_constants_of_code_imported_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the inputs a fixed seed draws now
    before = _fixed_seed_draws()
    # When a local module with constants of its own is imported
    (tmp_path / "module_with_constants.py").write_text("LIMITS = (987654321987, -31337, 4242)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(
        sys.modules, "module_with_constants", importlib.import_module("module_with_constants")
    )
    # Then the same seed draws the same inputs
    assert _fixed_seed_draws() == before


def test_every_test_starts_from_the_same_random_state() -> None:
    # Given any test, whatever ran before it
    # When it draws from the random module, as the provider's poll jitter does
    drawn = [random.random() for _ in range(3)]
    # Then it draws what a generator seeded with 0 draws
    seeded = random.Random(0)
    assert drawn == [seeded.random() for _ in range(3)]
