"""Where a cold `assistant ask` spends its time, phase by phase, in fresh processes.

    python -m evals.cold_start --home ~/.informedi --collection digest --runs 3

Each run is a new interpreter that does what `assistant ask` does, in its order, timing each
phase: imports, opening Chroma, loading the keyword index, loading the model, embedding the
question, the first search (Chroma, keywords, the articles it reads) and composing the answer.
The total is the whole process, interpreter start and exit included, as a user waits for it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PHASES = ("imports", "open store", "keyword index", "model and question", "search", "answer")
REST = "interpreter start and exit"


def _phases(question: str, filters: str | None) -> dict[str, float]:
    """The phases, in this process (which must be fresh)."""
    marks: dict[str, float] = {}
    t = time.perf_counter()

    def mark(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        marks[name] = now - t
        t = now

    import bots.cli  # noqa: F401 - what the console script imports before it runs a command
    from assistant.models import SearchFilters
    from bots import cli_llm
    from bots.settings import AppSettings

    mark("imports")
    found = SearchFilters.model_validate_json(filters) if filters else None
    import inspect

    one_shot = "one_shot" in inspect.signature(cli_llm.assistant_for).parameters  # code before issue 16: no
    with cli_llm.assistant_for(None, **({"one_shot": True} if one_shot else {})) as a:
        if hasattr(a, "preload"):  # as `assistant ask` does (not in code before issue 16)
            a.preload(question)
        a.store.revision()
        mark("open store")
        a.keywords.get()
        mark("keyword index")
        a.embedder.embed_query(question)  # loads the model, unless `preload` already has
        mark("model and question")
        a.search(question, found)
        mark("search")
        answer = a.ask(question, filters=found)
        mark("answer")
        del AppSettings
    marks["found"] = float(answer.found)
    return marks


def run(question: str, runs: int, filters: str | None = None, env: dict[str, str] | None = None) -> list[dict]:
    """``runs`` fresh processes; each gives its phases and its wall time as seen from outside."""
    env = dict(os.environ if env is None else env)
    env.setdefault("PYTHONPATH", str(Path(__file__).resolve().parents[1]))  # this checkout, not the installed one
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        # By path, so ``env``'s PYTHONPATH may point the child at another checkout's code.
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--question", question] + (["--filters", filters] if filters else []),
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        wall = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(f"cold-start child failed: {done.stderr[-2000:]}")
        phases = json.loads(done.stdout.strip().splitlines()[-1])
        phases[REST] = wall - sum(phases[p] for p in PHASES)
        phases["total"] = wall
        out.append(phases)
    return out


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--question", default="What do leaders do that impedes mastery?")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--home", help="ASSISTANT_HOME for the runs (default: the environment's)")
    parser.add_argument("--collection", help="ASSISTANT_COLLECTION for the runs")
    parser.add_argument("--filters", help="SearchFilters as JSON, e.g. '{\"week_from\": 370}'")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_phases(args.question, args.filters)))
        return
    env = dict(os.environ)
    if args.home:
        env["ASSISTANT_HOME"] = args.home
    if args.collection:
        env["ASSISTANT_COLLECTION"] = args.collection
    runs = run(args.question, args.runs, args.filters, env)
    width = len(REST)
    print(f"{'phase':<{width}}  median (s)  runs (s)")
    for phase in (*PHASES, REST, "total"):
        values = ", ".join(f"{r[phase]:.2f}" for r in runs)
        print(f"{phase:<{width}}  {_median(runs, phase):>10.2f}  {values}")
    print(f"answered: {sum(int(r['found']) for r in runs)}/{len(runs)}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
