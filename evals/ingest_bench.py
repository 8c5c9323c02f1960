"""Cold ingest against the model's raw throughput, on the same passages, in the same process.

    python -m evals.ingest_bench --articles 300 --rounds 2 --before main

Each run is a fresh process on a fresh store: it ingests a corpus (timed, whole
``index.ingest``: read, parse, embed, write, keyword index, quick check), recording every
``embed`` call the ingest made; then it replays exactly those calls on the same model
(timed: the raw model, same texts, same batches); then it edits every tenth article and
ingests again, counting the texts the model had to embed. ``--before REF`` runs the same
measurement on the code of git revision ``REF`` too, interleaved (before, after, before,
after, ...), so the machine's load weighs on both alike. Corpora: the bundled sample and a
synthetic digest (``evals.synthetic``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


# --- the child: runs with the measured tree on sys.path, imports only assistant and index ---------


def _child(corpus: str, home: str, edit: str | None) -> dict[str, Any]:
    import numpy as np

    import index
    from assistant import Assistant
    from assistant.settings import Settings

    class Recording:
        """The real model, keeping each ``embed`` call's texts so they can be replayed."""

        def __init__(self, inner: Any):
            self.inner, self.calls, self.busy_s = inner, [], 0.0
            self.model_id, self.dimension = inner.model_id, inner.dimension

        def embed(self, texts: Any) -> np.ndarray:
            self.calls.append(list(texts))
            t = time.perf_counter()
            try:
                return self.inner.embed(texts)
            finally:
                self.busy_s += time.perf_counter() - t

        def embed_query(self, text: str) -> np.ndarray:
            return self.inner.embed_query(text)

    settings = Settings(_env_file=None, home=Path(home), collection="ingest-bench", max_source_bytes=500_000_000)
    out: dict[str, Any] = {"load_before": os.getloadavg()[0]}
    with Assistant(settings) as a:
        model = a.embedder
        model.embed(["warm up the session"])  # model load is not ingest time
        recording = Recording(model)
        writer = Assistant(settings, embedder=recording, store=a.store, keywords=a.keywords)  # type: ignore[arg-type]
        t, cpu = time.perf_counter(), time.process_time()
        report = index.ingest(writer, [corpus])
        out["ingest_s"], out["ingest_cpu_s"] = time.perf_counter() - t, time.process_time() - cpu
        out["busy_s"] = recording.busy_s  # the model's share of the ingest's wall time, under the same load
        texts = [t for call in recording.calls for t in call]
        t, cpu = time.perf_counter(), time.process_time()
        for call in recording.calls:
            model.embed(call)
        out["raw_s"], out["raw_cpu_s"] = time.perf_counter() - t, time.process_time() - cpu
        out.update(
            articles=report.added,
            failed=report.failed,
            passages=a.store.count_passages(),
            embedded=len(texts),
            distinct=len(set(texts)),
            calls=len(recording.calls),
            provider=getattr(model, "provider", "CPUExecutionProvider"),
        )
        if edit:
            recording.calls = []
            t = time.perf_counter()
            again = index.ingest(writer, [edit])
            out["edit_s"] = time.perf_counter() - t
            out["edit_updated"] = again.updated
            out["edit_embedded"] = sum(len(c) for c in recording.calls)
    out["load_after"] = os.getloadavg()[0]
    return out


# --- the parent ---------------------------------------------------------------------------------


def _edited(corpus: Path, out: Path) -> Path:
    """Every tenth article of a JSONL corpus with one sentence added to its last paragraph."""
    lines = []
    for n, line in enumerate(corpus.read_text(encoding="utf-8").splitlines()):
        record = json.loads(line)
        if n % 10 == 0:
            summary = record["summary"]
            summary[-1] = summary[-1] + " This sentence was added by an edit."
        lines.append(json.dumps(record, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _export(ref: str, into: Path) -> Path:
    """The tracked files of git revision ``ref``, as a plain folder."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _run(tree: Path, corpus: Path, edit: Path | None, work: Path) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(dir=work, prefix="home-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["PYTHONPATH"] = str(tree)
    args = [sys.executable, "-P", str(Path(__file__).resolve()), "--child", str(corpus), str(home)]
    if edit:
        args.append(str(edit))
    done = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the measured ingest failed ({tree}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _table(results: dict[tuple[str, str], list[dict[str, Any]]]) -> str:
    rows = [
        "| corpus | code | articles | passages | raw model s (passages/s) | cold ingest s (articles/s) | "
        "ingest / raw, wall: median, p95 | ingest / raw, CPU: median | model busy during the ingest | "
        "edit re-ingest: embedded | provider |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for (corpus, code), runs in results.items():
        raw = median(r["raw_s"] for r in runs)
        cold = median(r["ingest_s"] for r in runs)
        wall = [r["ingest_s"] / r["raw_s"] for r in runs]
        cpu = median(r["ingest_cpu_s"] / r["raw_cpu_s"] for r in runs)
        busy = median(r["busy_s"] / r["ingest_s"] for r in runs)
        first = runs[0]
        edit = f"{first['edit_embedded']} for {first['edit_updated']} edited" if "edit_embedded" in first else "-"
        rows.append(
            f"| {corpus} | {code} | {first['articles']} | {first['passages']} | "
            f"{raw:.1f} ({first['embedded'] / raw:.1f}) | {cold:.1f} ({first['articles'] / cold:.2f}) | "
            f"{median(wall):.2f}, {_p95(wall):.2f} | {cpu:.2f} | {busy:.0%} | {edit} | {first['provider']} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300, help="synthetic corpus size (0: sample only)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2, help="runs of each (corpus, code) pair, interleaved")
    parser.add_argument("--before", metavar="REF", help="also measure git revision REF, interleaved")
    parser.add_argument("--no-sample", action="store_true", help="skip the bundled sample")
    args = parser.parse_args(argv)

    from evals.synthetic import write_corpus
    from index import SAMPLE_DIR

    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        work = Path(tmp)
        corpora: list[tuple[str, Path, Path | None]] = []
        if not args.no_sample:
            corpora.append((f"sample ({SAMPLE_DIR.name}/)", SAMPLE_DIR, None))
        if args.articles:
            corpus = write_corpus(work / f"synthetic-{args.articles}.jsonl", args.articles, args.seed)
            corpora.append((f"synthetic {args.articles}", corpus, _edited(corpus, work / "edited.jsonl")))
        trees = [("after", ROOT)]
        if args.before:
            trees.insert(0, (f"before ({args.before})", _export(args.before, work / "before")))
        results: dict[tuple[str, str], list[dict[str, Any]]] = {}
        loads = [os.getloadavg()]
        for round_ in range(args.rounds):
            for name, path, edit in corpora:
                # A/B then B/A: neither side always runs first.
                for code, tree in trees if round_ % 2 == 0 else trees[::-1]:
                    run = _run(tree, path, edit, work)
                    results.setdefault((name, code), []).append(run)
                    print(
                        f"round {round_ + 1} {name} {code}: ingest {run['ingest_s']:.1f} s, raw model "
                        f"{run['raw_s']:.1f} s, ratio {run['ingest_s'] / run['raw_s']:.3f} (CPU "
                        f"{run['ingest_cpu_s'] / run['raw_cpu_s']:.3f}), model busy {run['busy_s'] / run['ingest_s']:.0%}, "
                        f"load {run['load_before']:.1f}",
                        file=sys.stderr,
                        flush=True,
                    )
            loads.append(os.getloadavg())
    command = "python -m evals.ingest_bench " + " ".join(argv if argv is not None else sys.argv[1:])
    print(
        f"`{command}`, {os.cpu_count()} cores, {args.rounds} rounds, medians; ratio = cold ingest time / raw model time; CPU: process CPU seconds, all threads"
    )
    print(f"load average (1 min) during the run: {min(x[0] for x in loads):.1f} to {max(x[0] for x in loads):.1f}\n")
    print(_table(results))


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--child":
    print(json.dumps(_child(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)))
elif __name__ == "__main__":
    main()
