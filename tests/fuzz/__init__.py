"""Property-based fuzzing of the parsers, the renderers, the podcast feed and the speech text.

The properties and strategies live in ``evals/fuzz_targets.py`` and ``evals/fuzz_strategies.py``,
so ``python -m evals.fuzz`` runs the same checks at scale. ``fuzz(target)`` runs a test over a
target's strategy, with the profile's example count (``conftest.py``) scaled by its weight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings

from evals.fuzz_targets import Target


def fuzz(target: Target) -> Callable[[Callable[[Any], None]], Callable[..., None]]:
    def wrap(test: Callable[[Any], None]) -> Callable[..., None]:
        examples = max(10, round(settings.default.max_examples * target.weight))
        return settings(max_examples=examples)(given(target.strategy)(test))

    return wrap
