"""``python -m evals.fuzz``, the soak runner of the same properties: it counts, reports a broken
property with its minimal example, and every target it runs is also a test here."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import strategies as st

from evals import fuzz, fuzz_targets
from evals.fuzz_targets import TARGETS, Target


def test_every_target_runs_and_is_counted():
    results = fuzz.run(total=2 * len(TARGETS), run_seed=0)
    assert [r.name for r in results] == [t.name for t in TARGETS]
    assert all(r.failure is None and r.examples >= 1 for r in results), [r for r in results if r.failure]
    out = fuzz.report(results, 1.0, 0)
    assert "total" in out and "seed 0" in out


def test_quotas_share_the_total_by_weight():
    share = fuzz.quotas(100_000, TARGETS)
    assert sum(share.values()) >= 100_000
    heavy, light = TARGETS[0], next(t for t in TARGETS if t.weight < TARGETS[0].weight)
    assert share[heavy.name] > share[light.name]


def test_a_broken_property_is_reported_with_its_minimal_example():
    def check(n: int) -> None:
        assert n < 10, "too big"

    result = fuzz.run_target(Target("broken", st.integers(0, 1000), check), 200, run_seed=1)
    assert result.failure is not None
    assert "too big" in result.failure and "value=10" in result.failure  # shrunk to the boundary


def test_every_target_has_a_test():
    names = {name for name, value in vars(fuzz_targets).items() if isinstance(value, Target)}
    tested = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        tested |= set(re.findall(r"@fuzz\(t\.(\w+)\)", path.read_text(encoding="utf-8")))
    assert names == tested, f"untested targets: {sorted(names - tested)}"
