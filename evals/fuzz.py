"""`python -m evals.fuzz --examples 100000`: the fuzz targets of ``evals/fuzz_targets.py`` (the
properties ``tests/fuzz/`` checks in CI) at scale, with per-target counts, failures and time.

Each target gets a share of ``--examples`` by its weight; Hypothesis draws, checks and, on a
failure, shrinks to a minimal example, which is printed. Targets run in ``--jobs`` processes.
Exit status 1 when any property failed. Needs the ``test`` extra (hypothesis).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
import traceback
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, given, seed, settings

from evals.fuzz_targets import TARGETS, Target


@dataclass
class TargetResult:
    name: str
    examples: int  # calls of the property (a failure's shrinking included)
    failure: str | None  # the error and the falsifying example, minimal after shrinking
    seconds: float


def quotas(total: int, targets: list[Target]) -> dict[str, int]:
    """Examples per target: ``total`` shared by weight, rounded up, so the sum is at least ``total``."""
    weights = sum(t.weight for t in targets)
    return {t.name: max(1, math.ceil(total * t.weight / weights)) for t in targets}


def run_target(target: Target | str, examples: int, run_seed: int) -> TargetResult:
    """Check ``target`` (or the target of that name: strategies do not pickle to a process pool)."""
    if isinstance(target, str):
        target = next(t for t in TARGETS if t.name == target)
    calls = 0

    def check(value: object) -> None:
        nonlocal calls
        calls += 1
        target.check(value)

    test = seed(run_seed)(
        settings(
            max_examples=examples,
            deadline=None,
            database=None,  # nothing kept between runs: a soak is reproduced by its seed
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            print_blob=False,
            report_multiple_bugs=False,
        )(given(target.strategy)(check))
    )
    start = time.perf_counter()
    failure = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # bs4's "looks like a URL" on hostile HTML, once per example
            test()
    except Exception as exc:  # a broken property: report it with Hypothesis's falsifying example
        notes = "\n".join(dict.fromkeys(getattr(exc, "__notes__", [])))  # Hypothesis may add one twice
        lines = traceback.format_exception_only(type(exc), exc)
        failure = ("".join(lines).strip() + "\n" + notes)[:4000]
    return TargetResult(target.name, calls, failure, time.perf_counter() - start)


def run(total: int, run_seed: int, names: list[str] | None = None, jobs: int = 1) -> list[TargetResult]:
    targets = [t for t in TARGETS if not names or t.name in names]
    share = quotas(total, targets)
    if jobs <= 1:
        return [run_target(t.name, share[t.name], run_seed) for t in targets]
    with ProcessPoolExecutor(jobs) as pool:
        futures = [pool.submit(run_target, t.name, share[t.name], run_seed) for t in targets]
        return [f.result() for f in futures]


def report(results: list[TargetResult], wall: float, run_seed: int) -> str:
    width = max(len(r.name) for r in results)
    lines = [f"{'target':<{width}}  {'examples':>9}  failures  {'seconds':>8}"]
    for r in results:
        lines.append(f"{r.name:<{width}}  {r.examples:>9}  {int(r.failure is not None):>8}  {r.seconds:>8.1f}")
    failed = [r for r in results if r.failure]
    lines.append(
        f"{'total':<{width}}  {sum(r.examples for r in results):>9}  {len(failed):>8}  {sum(r.seconds for r in results):>8.1f}"
    )
    lines.append(f"wall time {wall:.1f} s, seed {run_seed}")
    for r in failed:
        lines += ["", f"--- {r.name} failed ---", r.failure or ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100_000, help="examples in total, shared by weight")
    parser.add_argument("--seed", type=int, default=None, help="reproduce a run (default: a random seed)")
    parser.add_argument("--only", action="append", metavar="TARGET", help="run this target (repeatable)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: one per core)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(f"{t.name}  (weight {t.weight})" for t in TARGETS))
        return 0
    unknown = set(args.only or []) - {t.name for t in TARGETS}
    if unknown:
        parser.error(f"unknown target(s): {', '.join(sorted(unknown))} (see --list)")
    run_seed = args.seed if args.seed is not None else random.randrange(2**32)
    start = time.perf_counter()
    results = run(args.examples, run_seed, args.only, args.jobs)
    print(report(results, time.perf_counter() - start, run_seed))
    return 1 if any(r.failure for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
