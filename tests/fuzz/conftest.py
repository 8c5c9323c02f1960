"""Hypothesis profiles. "ci" (the default): about 150 examples a target, about 3,000 in all,
derandomized so every run checks the same examples, and well under two minutes on two busy
cores. HYPOTHESIS_PROFILE=soak: 50 times as many, from a new random seed each run (or run
``python -m evals.fuzz --examples 100000``, which reports per-target counts and times)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Hostile inputs are large and slow on purpose; the properties time what must be fast themselves.
_COMMON = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck))
settings.register_profile("ci", max_examples=150, derandomize=True, print_blob=False, **_COMMON)
settings.register_profile("soak", max_examples=7_500, print_blob=True, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
