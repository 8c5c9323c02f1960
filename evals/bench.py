"""Speed benchmark: ingest, search and answer latency, memory and disk, by corpus size, for
the assistant on an embedded Chroma, the assistant on a Chroma server, and a plain
LlamaIndex pipeline, all in one run so their ratios are comparable on a noisy machine.

For each size a synthetic digest (``evals.synthetic``) is written once; then each system
(``evals.bench_systems``) is measured in its own fresh Python process, one after another
(never two at once: the numbers are CPU-bound), with its own temporary home:

- cold ingest (articles/s) and the share of it spent making passage vectors;
- unchanged re-ingest (articles/s; every article must come back unchanged);
- warm search and extractive ask latency, p50/p95 over the same questions;
- a cold ``assistant ask`` process (median of 3);
- peak RSS (of the measuring process, and of the Chroma server) and the size on disk.

Up to ``embed_up_to`` articles (5,000) the passages are embedded by the real model; bigger
corpora use pooled real vectors (see ``evals.vectors``), because embedding 100,000 articles
takes hours here. The server run replays the embedded run's vectors rather than embedding
again. Numbers are reported, never asserted; the targets are shown with a ✓ or ✗.

    python -m evals.bench --sizes 1000,5000,20000,100000 --out evals/results/bench.md
"""

from __future__ import annotations

import argparse
import multiprocessing
import queue as queue_mod
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, Field

from evals.bench_support import Machine, code_version, disk_bytes, machine_info, process_peak_rss_mb
from evals.bench_systems import SYSTEMS, System, SystemResult, SystemSpec, VectorMode, measure
from evals.speech_bench import SpeechBench

EMBED_UP_TO = 5000
PLAIN_QUERY_BUDGET = 5_000_000  # questions x articles: the plain pipeline searches by brute force


class SizeRun(BaseModel):
    articles: int
    corpus_mb: float
    vectors: VectorMode
    systems: list[SystemResult]

    def get(self, system: System) -> SystemResult | None:
        return next((s for s in self.systems if s.system == system), None)


class BenchResult(BaseModel):
    date: str
    code: str = Field("unknown", description="The project's git commit, and whether tracked files had changes.")
    machine: Machine
    queries: int
    seed: int
    embed_up_to: int
    settings: dict[str, object]
    sizes: list[SizeRun]
    speech: SpeechBench | None = Field(None, description="evals.speech_bench's result, when the run included speech.")


class Target(BaseModel):
    articles: int
    field: str
    label: str
    op: Literal["<=", ">="]
    value: float
    unit: str

    def met(self, measured: float) -> bool:
        return measured <= self.value if self.op == "<=" else measured >= self.value


TARGETS = [
    Target(articles=5000, field="search_p50_ms", label="search p50", op="<=", value=20, unit="ms"),
    Target(articles=5000, field="search_p95_ms", label="search p95", op="<=", value=50, unit="ms"),
    Target(articles=20000, field="search_p95_ms", label="search p95", op="<=", value=50, unit="ms"),
    Target(articles=100000, field="search_p95_ms", label="search p95", op="<=", value=150, unit="ms"),
    Target(articles=5000, field="ask_p50_ms", label="extractive ask p50", op="<=", value=100, unit="ms"),
    Target(articles=5000, field="cold_ingest_articles_per_s", label="cold ingest", op=">=", value=25, unit="articles/s"),
    Target(articles=5000, field="reingest_articles_per_s", label="unchanged re-ingest", op=">=", value=1000,
           unit="articles/s"),
    Target(articles=5000, field="cold_ask_s", label="cold `assistant ask`", op="<=", value=3, unit="s"),
]
INGEST_SPEEDUP_TARGET = 2.0  # cold ingest against the plain pipeline, where both embed for real


class BenchError(RuntimeError):
    pass


def run_bench(
    sizes: list[int],
    queries: int = 200,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    seed: int = 0,
    systems: tuple[System, ...] = SYSTEMS,
    embed_up_to: int = EMBED_UP_TO,
    server_up_to: int | None = None,
    speech: bool = False,
    isolate: bool = True,
    on_size: Callable[[BenchResult], None] | None = None,
    resume: BenchResult | None = None,
) -> BenchResult:
    """Measure each corpus size in turn, each system in its own process (``isolate``; False
    measures in this process, for profiling, where peak RSS is this process's peak so far).

    ``workdir``: where corpora and homes go (kept); default a temporary folder, removed.
    ``server_up_to``: measure the Chroma server only up to this size (its 100,000-article run takes an hour).
    ``on_size``: called with the result so far after each size (a long run saves as it goes).
    ``resume``: an interrupted run's saved result: its sizes are kept, not measured again.
    """
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError("sizes must be positive article counts")
    if queries < 1:
        raise ValueError("queries must be >= 1")
    unknown = set(systems) - set(SYSTEMS)
    if unknown or not systems:
        raise ValueError(f"systems must be some of {', '.join(SYSTEMS)}")
    say = progress or (lambda _line: None)
    code = code_version()
    machine = machine_info()
    say(f"machine: {machine.cpus} CPUs, {machine.cpu_model}, {machine.memory_gb:.1f} GB")
    runs: list[SizeRun] = list(resume.sizes) if resume else []
    if resume:
        code, machine = resume.code, resume.machine  # the run being continued
        say(f"resuming: {', '.join(f'{r.articles:,}' for r in runs)} articles already measured")

    def so_far(speech_result: SpeechBench | None = None) -> BenchResult:
        return BenchResult(
            date=datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
            code=code, machine=machine, queries=queries, seed=seed, embed_up_to=embed_up_to,
            settings=_settings_summary(), sizes=list(runs), speech=speech_result,
        )

    for n in sizes:
        if any(r.articles == n for r in runs):
            continue
        chosen = tuple(s for s in systems if s != "assistant-server" or server_up_to is None or n <= server_up_to)
        if workdir is not None:
            Path(workdir).mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=f"bench-{n}-", dir=workdir))
            runs.append(_run_size(n, queries, folder, seed, chosen, embed_up_to, say, isolate))
        else:
            with tempfile.TemporaryDirectory(prefix=f"assistant-bench-{n}-") as tmp:
                runs.append(_run_size(n, queries, Path(tmp), seed, chosen, embed_up_to, say, isolate))
        if on_size is not None:
            on_size(so_far())
    speech_result = None
    if speech:
        from evals import speech_bench

        speech_result = speech_bench.run(say, articles=10)
    return so_far(speech_result)


def _run_size(n: int, queries: int, folder: Path, seed: int, systems: tuple[System, ...], embed_up_to: int,
              say: Callable[[str], None], isolate: bool) -> SizeRun:
    from evals import chroma_server
    from evals.synthetic import write_corpus

    corpus = write_corpus(folder / f"corpus-{n}.jsonl", n, seed=seed)
    vectors: VectorMode = "model" if n <= embed_up_to else "pooled"
    say(f"{n:,} articles: corpus {corpus.stat().st_size / 1e6:.1f} MB written; passage vectors: {vectors}")
    recorded = folder / "vectors.npz"
    results = []
    for system in systems:
        spec = SystemSpec(
            system=system, articles=n, corpus=corpus, folder=folder / system, queries=queries, seed=seed,
            vectors=vectors, max_plain_queries=max(20, min(queries, PLAIN_QUERY_BUDGET // n)),
            # The embedded run keeps its vectors; the server run reuses them instead of embedding again.
            record=recorded if system == "assistant" and vectors == "model" else None,
            replay=recorded if system == "assistant-server" else None,
        )
        if system != "assistant-server":
            results.append(_measure(spec, say, isolate))
            continue
        server = chroma_server.start(folder / "chroma-server")
        try:
            spec.chroma_host, spec.chroma_port = server.host, server.port
            result = _measure(spec, say, isolate)
            result.server_peak_rss_mb = process_peak_rss_mb(server.process.pid)
        finally:
            server.stop()
        result.disk_mb += disk_bytes(folder / "chroma-server" / "db") / 1e6
        results.append(result)
    return SizeRun(articles=n, corpus_mb=round(corpus.stat().st_size / 1e6, 2), vectors=vectors, systems=results)


def _measure(spec: SystemSpec, say: Callable[[str], None], isolate: bool) -> SystemResult:
    if not isolate:
        return measure(spec, say)
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no model or Chroma state carried over
    channel = ctx.Queue()
    worker = ctx.Process(target=_worker, args=(spec.model_dump(mode="json"), channel), daemon=True)
    worker.start()
    try:
        while True:
            try:
                kind, payload = channel.get(timeout=1.0)
            except queue_mod.Empty:
                if not worker.is_alive():
                    raise BenchError(f"the {spec.system} worker at {spec.articles} articles died "
                                     f"(exit code {worker.exitcode})") from None
                continue
            if kind == "progress":
                say(payload)
            elif kind == "result":
                return SystemResult.model_validate(payload)
            else:
                raise BenchError(f"{spec.system} at {spec.articles} articles failed:\n{payload}")
    finally:
        worker.join(timeout=30)
        if worker.is_alive():
            worker.terminate()
            worker.join()


def _worker(spec: dict, channel) -> None:
    try:
        result = measure(SystemSpec.model_validate(spec), lambda line: channel.put(("progress", line)))
        channel.put(("result", result.model_dump(mode="json")))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent
        channel.put(("error", traceback.format_exc()))


def _settings_summary() -> dict[str, object]:
    import assistant.offline  # noqa: F401
    from assistant.settings import Settings

    s = Settings(_env_file=None, home=Path("unused"), chroma_host=None)
    keys = ("embed_threads", "embed_batch_size", "passage_words", "top_k", "candidates",
            "keyword_refresh_seconds", "answer_sentences", "min_relevance")
    return {k: getattr(s, k) for k in keys}


def save(result: BenchResult, out: Path) -> list[Path]:
    """Write the Markdown report, the raw numbers as JSON beside it, and the PNG plots."""
    from evals.bench_report import format_markdown, plot

    out.parent.mkdir(parents=True, exist_ok=True)
    images = plot(result, out.parent, stem=out.stem)
    out.write_text(format_markdown(result, images=[p.name for p in images]), encoding="utf-8")
    out.with_suffix(".json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return [out, out.with_suffix(".json"), *images]


# --- command line -------------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.strip().replace("_", "").lower().replace("k", "000")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"sizes must be comma-separated whole numbers, e.g. 1000,5000 or 1k,20k; got {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError("sizes must be positive article counts")
    return sizes


def parse_systems(text: str) -> tuple[System, ...]:
    chosen = tuple(x.strip() for x in text.split(",") if x.strip())
    unknown = [x for x in chosen if x not in SYSTEMS]
    if unknown or not chosen:
        raise ValueError(f"unknown system {', '.join(unknown) or '(none)'}; choose from {', '.join(SYSTEMS)}")
    return chosen  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000,100000", help="article counts, e.g. 1000,5000")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="which systems to measure")
    parser.add_argument("--queries", type=int, default=200, help="timed questions per size (default 200)")
    parser.add_argument("--embed-up-to", type=int, default=EMBED_UP_TO, help="embed for real up to this size")
    parser.add_argument("--server-up-to", type=int, help="measure the Chroma server only up to this size")
    parser.add_argument("--speech", action="store_true", help="also measure speech (evals.speech_bench, 10 articles)")
    parser.add_argument("--out", type=Path, help="write the report here (and .json and PNG plots beside it)")
    parser.add_argument("--workdir", type=Path, help="keep corpora and homes here instead of a temporary folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true", help="keep the sizes already in --out's .json")
    parser.add_argument("--in-process", action="store_true", help="measure in this process (for profiling)")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)

    from evals.bench_report import format_markdown

    resume = None
    if args.resume and args.out and args.out.with_suffix(".json").exists():
        resume = BenchResult.model_validate_json(args.out.with_suffix(".json").read_text(encoding="utf-8"))
    result = run_bench(parse_sizes(args.sizes), args.queries, args.workdir, say, seed=args.seed,
                       systems=parse_systems(args.systems), embed_up_to=args.embed_up_to,
                       server_up_to=args.server_up_to, speech=args.speech, isolate=not args.in_process,
                       on_size=(lambda partial: save(partial, args.out)) if args.out else None, resume=resume)
    if args.out:
        for path in save(result, args.out):
            say(f"wrote {path}")
    print(format_markdown(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
