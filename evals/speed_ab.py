"""Cold `assistant ask` and filtered search, this code against another checkout, on the same
bench indexes, interleaved so machine load falls on both alike.

    python -m evals.speed_ab --before /path/to/old-checkout --bench /path/to/bench-workdir

``--bench`` is an `assistant bench --workdir` folder: each ``bench-<N>-*/`` holds the corpus
(``corpus-<N>.jsonl``) and the index (``assistant/home``, collection ``bench-<N>``). Each side
gets its own home (under ``--work``) that shares the Chroma folder but keeps its own keyword
builds, because the two codes save different ones and would otherwise rebuild each other's. A side's first open, which may rebuild a build
of an older format once, is reported apart from the timed runs.

Per size and side: cold `assistant ask` phases (``evals/cold_start.py``, ``--runs`` fresh
processes), and in one warm process the searches `assistant bench` times: ``--queries`` synthetic
questions, unfiltered and with the bench's four filters in turn (last 52 weeks, the most common
magazine and topic, a date).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WARMUP = 10
RECALL_QUESTIONS = 50  # filtered questions whose Chroma results are compared with exact search
SEARCH_ROUNDS = 2  # each side's searches run in this many processes, the sides taking turns


def _child_search(corpus: Path, queries: int, seed: int, part: int, parts: int) -> dict:
    """In this (warm) process: search timings over every ``parts``-th of the bench's questions,
    from ``part``, each with its filter."""
    import assistant.offline  # noqa: F401
    from assistant import Assistant
    from bots.settings import AppSettings
    from evals.bench_systems import _filters
    from evals.synthetic import queries as synthetic_queries

    questions = synthetic_queries(queries, seed=seed)
    filters = _filters(corpus)
    with Assistant(AppSettings()) as a:
        for q in synthetic_queries(WARMUP, seed=seed + 1_000_003):
            a.search(q)
            a.search(q, filters=filters[0])
        plain, filtered, found = [], [], []
        for i, q in list(enumerate(questions))[part::parts]:
            t = time.perf_counter()
            a.search(q)
            plain.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            hits = a.search(q, filters=filters[i % len(filters)])
            filtered.append((time.perf_counter() - t) * 1000)
            found.append((i, [h.article.id for h in hits]))
        masks_agree = _masks_agree(a, filters)
        recall = _chroma_recall(a, questions[:RECALL_QUESTIONS], filters) if part == 0 else None
    return {
        "search_ms": plain,
        "filtered_ms": filtered,
        "found": found,
        "masks_agree": masks_agree,
        "chroma_recall": recall,
    }


def _chroma_recall(a, questions: list[str], filters: list) -> list[float] | None:
    """How many of the exact nearest passages within each filter Chroma's filtered HNSW search
    (the code before) also returns, out of the candidates a search takes."""
    from assistant.filters import chroma_where

    index = a.keywords.get()
    if getattr(index, "vectors", None) is None:
        return None
    k = a.settings.retrieval.candidates
    out = []
    for i, q in enumerate(questions):
        f = filters[i % len(filters)]
        vector = a.embedder.embed_query(q)
        exact = {pid for pid, _ in index.nearest(vector, k, index.columns.mask(f))}
        chroma = {pid for pid, _ in a.store.nearest_passages(vector, k, chroma_where(f))}
        out.append(len(exact & chroma) / max(len(exact), 1))
    return out


def _masks_agree(a, filters: list) -> bool | None:
    """Does each filter keep exactly the passages Chroma's own ``where`` keeps? (Exact search
    over the kept rows is then exact filtering.) None for code without the in-process mask."""
    from assistant.filters import chroma_where

    index = a.keywords.get()
    if getattr(index, "vectors", None) is None:
        return None
    for f in filters:
        mask = index.columns.mask(f)
        mine = {index.passage_ids[int(r)] for r in mask.nonzero()[0]}
        chroma = set(a.store._passages.get(where=chroma_where(f), include=[])["ids"])
        if mine != chroma:
            return False
    return True


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _sizes(bench: Path) -> list[tuple[int, Path, Path]]:
    """(articles, corpus, home) of each size in an `assistant bench --workdir` folder."""
    out = []
    for folder in sorted(bench.glob("bench-*-*")):
        n = int(folder.name.split("-")[1])
        corpus, home = folder / f"corpus-{n}.jsonl", folder / "assistant" / "home"
        if corpus.exists() and home.exists():
            out.append((n, corpus, home))
    return sorted(out)


def _env(checkout: Path, home: Path, n: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(PYTHONPATH=str(checkout), ASSISTANT_HOME=str(home), ASSISTANT_COLLECTION=f"bench-{n}")
    return env


def _search(checkout: Path, home: Path, n: int, corpus: Path, queries: int, seed: int, part: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(corpus), str(queries), str(seed), str(part), str(SEARCH_ROUNDS)],
        capture_output=True,
        text=True,
        env=_env(checkout, home, n),
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"search child ({checkout}) failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(before: Path, bench: Path, work: Path, runs: int, queries: int, seed: int, say=print) -> list[dict]:
    from evals import cold_start  # not at the top: the search child may run another checkout's evals

    sides = {"before": before.resolve(), "after": ROOT}
    results = []
    for n, corpus, home in _sizes(bench):
        row: dict = {"articles": n}
        homes = {}
        for side in sides:
            homes[side] = work / f"{n}" / side
            if not homes[side].exists():
                # Chroma's folder is shared (the sides run one at a time and only read it); the
                # keyword builds are each side's own.
                say(f"{n:,}: a home for {side}")
                homes[side].mkdir(parents=True)
                (homes[side] / "chroma").symlink_to(home / "chroma")
                shutil.copytree(home / "keyword", homes[side] / "keyword")
        question = "What do leaders do that impedes mastery?"
        for side, checkout in sides.items():
            t = time.perf_counter()
            cold_start.run(question, 1, env=_env(checkout, homes[side], n))
            row[f"{side}_first_open_s"] = time.perf_counter() - t
            say(f"{n:,} {side}: first open {row[f'{side}_first_open_s']:.1f} s")
        cold: dict[str, list[dict]] = {side: [] for side in sides}
        for _ in range(runs):
            for side, checkout in sides.items():
                cold[side] += cold_start.run(question, 1, env=_env(checkout, homes[side], n))
        for side in sides:
            row[f"{side}_cold"] = {p: statistics.median(r[p] for r in cold[side]) for p in cold[side][0]}
            row[f"{side}_cold_runs"] = [r["total"] for r in cold[side]]
            say(f"{n:,} {side}: cold ask {row[f'{side}_cold']['total']:.2f} s ({row[f'{side}_cold_runs']})")
        searched: dict[str, dict] = {side: {"search_ms": [], "filtered_ms": [], "found": []} for side in sides}
        for part in range(SEARCH_ROUNDS):  # the sides take turns, so load falls on both alike
            for side, checkout in sides.items():
                got = _search(checkout, homes[side], n, corpus, queries, seed, part)
                for key in ("search_ms", "filtered_ms", "found"):
                    searched[side][key] += got[key]
                if got.get("chroma_recall") is not None:
                    row["chroma_recall"] = got["chroma_recall"]
                if got["masks_agree"] is not None:
                    row["masks_agree"] = row.get("masks_agree", True) and got["masks_agree"]
        for side in sides:
            got = searched[side]
            row[f"{side}_found"] = [ids for _, ids in sorted(got["found"])]
            for key in ("search_ms", "filtered_ms"):
                row[f"{side}_{key[:-3]}_p50"] = _pct(got[key], 0.5)
                row[f"{side}_{key[:-3]}_p95"] = _pct(got[key], 0.95)
            say(
                f"{n:,} {side}: search p50/p95 {row[f'{side}_search_p50']:.1f}/{row[f'{side}_search_p95']:.1f} ms, "
                f"filtered {row[f'{side}_filtered_p50']:.1f}/{row[f'{side}_filtered_p95']:.1f} ms"
            )
        pairs = list(zip(row.pop("before_found"), row.pop("after_found")))
        row["filtered_same"] = sum(b == a for b, a in pairs)
        row["filtered_same_top1"] = sum(b[:1] == a[:1] for b, a in pairs)
        row["filtered_compared"] = len(pairs)
        row["load_average"] = os.getloadavg()[0]
        results.append(row)
    return results


def report(results: list[dict], command: str) -> str:
    from evals import cold_start

    lines = [
        f"Command: `{command}`",
        "",
        "| articles | cold `assistant ask` before → after (s) | filtered search p50 / p95 before (ms) "
        "| after (ms) | search p50 / p95 before (ms) | after (ms) | load average |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['articles']:,} | {r['before_cold']['total']:.2f} → **{r['after_cold']['total']:.2f}** "
            f"| {r['before_filtered_p50']:.1f} / {r['before_filtered_p95']:.1f} "
            f"| **{r['after_filtered_p50']:.1f} / {r['after_filtered_p95']:.1f}** "
            f"| {r['before_search_p50']:.1f} / {r['before_search_p95']:.1f} "
            f"| {r['after_search_p50']:.1f} / {r['after_search_p95']:.1f} | {r['load_average']:.1f} |"
        )
    lines += [""]
    for r in results:
        lines.append(
            f"- {r['articles']:,} articles: filtered searches with the same articles in the same order as before: "
            f"{r['filtered_same']}/{r['filtered_compared']} (same first article: {r['filtered_same_top1']}); "
            f"every filter keeps exactly the passages Chroma's `where` keeps: {r.get('masks_agree', 'not checked')}"
        )
        if r.get("chroma_recall"):
            recall = r["chroma_recall"]
            lines.append(
                f"- {r['articles']:,} articles: of the exact nearest passages within a filter, Chroma's filtered "
                f"search (before) returned {statistics.mean(recall):.1%} on average, {min(recall):.0%} at worst "
                f"({len(recall)} questions): most differences above are Chroma's approximation"
            )
    lines += ["", "Where a cold ask spends its time (median seconds; before / after):", ""]
    phases = [*cold_start.PHASES, cold_start.REST]
    lines.append("| articles | " + " | ".join(phases) + " |")
    lines.append("|---:|" + "---:|" * len(phases))
    for r in results:
        cells = [f"{r['before_cold'][p]:.2f} / {r['after_cold'][p]:.2f}" for p in phases]
        lines.append(f"| {r['articles']:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        corpus, queries, seed, part, parts = sys.argv[2:7]
        print(json.dumps(_child_search(Path(corpus), int(queries), int(seed), int(part), int(parts))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the code to compare with")
    parser.add_argument("--bench", type=Path, required=True, help="an `assistant bench --workdir` folder")
    parser.add_argument("--work", type=Path, help="where each side's copy of the indexes goes (default: <bench>/ab)")
    parser.add_argument("--runs", type=int, default=3, help="cold asks per side and size")
    parser.add_argument("--queries", type=int, default=200, help="questions timed per side and size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write the report (.md) and the figures (.json) here")
    args = parser.parse_args()
    results = run(args.before, args.bench, args.work or args.bench / "ab", args.runs, args.queries, args.seed)
    text = report(results, "python -m evals.speed_ab " + " ".join(sys.argv[1:]))
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
