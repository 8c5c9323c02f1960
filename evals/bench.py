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

Up to ``embed_up_to`` articles (5,000 by default) the passages are embedded by the real model;
bigger corpora use pooled real vectors (see ``evals.vectors``), because embedding 100,000 articles
takes hours here. The server run replays the embedded run's vectors rather than embedding
again. Numbers are reported, never asserted; the targets are shown with a ✓ or ✗.

The command line is `assistant bench` (``bots/cli_evals.py``: its options and their defaults are
the only ones); ``python -m evals.bench ARGS`` runs ``assistant bench ARGS``:

    assistant bench --sizes 1000,5000,20000,100000 --out evals/results/bench.md
"""

from __future__ import annotations

import multiprocessing
import queue as queue_mod
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from assistant import chroma_server
from evals.bench_report import format_markdown, plot
from evals.bench_results import BenchResult, SizeRun
from evals.bench_support import code_version, disk_bytes, machine_info, process_peak_rss_mb, run_assistant_command
from evals.bench_systems import SYSTEMS, System, SystemResult, SystemSpec, VectorMode, measure
from evals.speech_bench import SpeechBench

PLAIN_QUERY_BUDGET = 5_000_000  # questions x articles: the plain pipeline searches by brute force
SPEECH_ARTICLES = 10  # first-audio runs in the bench's speech part (python -m evals.speech_bench: every sample article)


class BenchError(RuntimeError):
    pass


def run_bench(
    sizes: list[int],
    *,
    queries: int,
    systems: tuple[System, ...],
    embed_up_to: int,
    server_up_to: int | None,
    speech: bool,
    seed: int,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    isolate: bool = True,
    on_size: Callable[[BenchResult], None] | None = None,
    resume: BenchResult | None = None,
) -> BenchResult:
    """Measure each corpus size in turn, each system in its own process (``isolate``; False
    measures in this process, for profiling, where peak RSS is this process's peak so far).

    What to measure has no defaults here: `assistant bench` holds them (one command line, one
    set of defaults). ``embed_up_to``: embed passages with the real model up to this size.
    ``server_up_to``: measure the Chroma server only up to this size (its 100,000-article run
    takes an hour); None: at every size. ``speech``: also run ``evals.speech_bench``.
    ``workdir``: where corpora and homes go (kept); default a temporary folder, removed.
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
            date=datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
            code=code,
            machine=machine,
            queries=queries,
            seed=seed,
            embed_up_to=embed_up_to,
            settings=_settings_summary(),
            sizes=list(runs),
            speech=speech_result,
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

        speech_result = speech_bench.run(say, articles=SPEECH_ARTICLES)
    return so_far(speech_result)


def _run_size(
    n: int,
    queries: int,
    folder: Path,
    seed: int,
    systems: tuple[System, ...],
    embed_up_to: int,
    say: Callable[[str], None],
    isolate: bool,
) -> SizeRun:
    from evals.synthetic import write_corpus

    corpus = write_corpus(folder / f"corpus-{n}.jsonl", n, seed=seed)
    vectors: VectorMode = "model" if n <= embed_up_to else "pooled"
    say(f"{n:,} articles: corpus {corpus.stat().st_size / 1e6:.1f} MB written; passage vectors: {vectors}")
    recorded = folder / "vectors.npz"
    results = []
    for system in systems:
        spec = SystemSpec(
            system=system,
            articles=n,
            corpus=corpus,
            folder=folder / system,
            queries=queries,
            seed=seed,
            vectors=vectors,
            max_plain_queries=max(20, min(queries, PLAIN_QUERY_BUDGET // n)),
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
                    raise BenchError(
                        f"the {spec.system} worker at {spec.articles} articles died (exit code {worker.exitcode})"
                    ) from None
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
    from assistant.settings import Settings, env_names

    s = Settings(_env_file=None, home=Path("unused"), chroma_host=None)
    keys = (
        "embed_threads",
        "embed_batch_size",
        "passage_words",
        "top_k",
        "candidates",
        "keyword_refresh_seconds",
        "answer_sentences",
        "min_relevance",
    )
    where = env_names(Settings)
    return {k: getattr(getattr(s, where[k][0]), where[k][1]) for k in keys}


def save(result: BenchResult, out: Path) -> list[Path]:
    """Write the Markdown report, the raw numbers as JSON beside it, and the PNG plots (they need
    matplotlib, from the evals extra: see ``evals.plots.require_matplotlib``)."""
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
        raise ValueError(
            f"sizes must be comma-separated whole numbers, e.g. 1000,5000 or 1k,20k; got {text!r}"
        ) from None
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError("sizes must be positive article counts")
    return sizes


def parse_systems(text: str) -> tuple[System, ...]:
    chosen = tuple(x.strip() for x in text.split(",") if x.strip())
    unknown = [x for x in chosen if x not in SYSTEMS]
    if unknown or not chosen:
        raise ValueError(f"unknown system {', '.join(unknown) or '(none)'}; choose from {', '.join(SYSTEMS)}")
    return chosen  # type: ignore[return-value]


if __name__ == "__main__":  # one command line: `python -m evals.bench ARGS` is `assistant bench ARGS`
    run_assistant_command("bench", *sys.argv[1:])
