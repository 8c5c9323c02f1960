"""Speed benchmark: ingest, search and answer latency, memory and disk at a given corpus size.

For each size a synthetic digest (``evals.synthetic``) is ingested into a fresh, temporary
``ASSISTANT_HOME`` (embedded Chroma), then measured:

- cold ingest (articles/s, wall time of ``Assistant.ingest``) and the embedding throughput
  (passages/s over the whole ingest, and over the time spent inside the embedding model);
- unchanged re-ingest (articles/s; every article must come back ``unchanged``);
- warm ``Assistant.search`` and extractive ``Assistant.ask`` latency, p50/p95 over the
  same questions, after 10 warm-up questions;
- a cold process: ``assistant ask "<question>"`` as a subprocess, median of 3 runs;
- peak RSS of the measuring process and of the cold ``assistant ask`` process;
- the home folder's size on disk.

Each size runs in its own fresh Python process (``isolate=True``) so its peak RSS is its own
and nothing cached by one size helps the next. Numbers are reported, never asserted: the
targets below are shown with a ✓ or ✗.

    python -m evals.bench --sizes 1000,5000 --queries 200 --out evals/results/bench-5k.md
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import json
import math
import multiprocessing
import os
import platform
import queue as queue_mod
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Literal

from pydantic import BaseModel, Field

WARMUP_QUERIES = 10
FILTERED_QUERIES = 50  # at most: filtered searches are slower and not a target
COLD_RUNS = 3
TARGET_SIZE = 5000


# --- results ------------------------------------------------------------------------------


class Machine(BaseModel):
    cpus: int = Field(description="CPUs this process may run on (nproc).")
    cpu_model: str
    memory_gb: float
    python: str
    platform: str
    packages: dict[str, str] = Field(default_factory=dict)


class SizeResult(BaseModel):
    articles: int
    passages: int
    corpus_mb: float = Field(description="Size of the JSONL corpus.")
    cold_ingest_s: float
    cold_ingest_articles_per_s: float
    embed_passages_per_s: float = Field(description="Passages over the whole cold-ingest wall time.")
    embed_model_passages_per_s: float = Field(description="Passages over the time spent inside Embedder.embed.")
    embed_share: float = Field(description="Share of cold-ingest wall time spent inside Embedder.embed.")
    reingest_s: float
    reingest_articles_per_s: float
    reingest_unchanged: int
    first_search_ms: float = Field(description="First search: builds the retriever and the keyword index.")
    search_p50_ms: float
    search_p95_ms: float
    search_mean_ms: float
    filtered_search_p50_ms: float = Field(description="Search with a filter (last year, magazine, topic or since).")
    filtered_search_p95_ms: float
    filtered_questions: int
    ask_p50_ms: float
    ask_p95_ms: float
    ask_mean_ms: float
    asks_found: int = Field(description="Questions that got an answer (not 'nothing on that').")
    questions: int
    cold_ask_s: float = Field(description="Median wall time of `assistant ask` in a new process.")
    cold_ask_runs_s: list[float]
    peak_rss_mb: float = Field(description="Peak RSS of the measuring process (ingest, search, ask).")
    cold_ask_peak_rss_mb: float = Field(description="Peak RSS of the `assistant ask` process.")
    disk_mb: float = Field(description="Home folder size on disk (allocated blocks, like du).")
    total_s: float
    code: str = Field("unknown", description="The project's commit when this size's process started (its code).")
    load_before: float = Field(description="1-minute load average when the size started (other work on the machine).")
    load_after: float


class BenchResult(BaseModel):
    date: str
    code: str = Field("unknown", description="The project's git commit, and whether tracked files had changes.")
    machine: Machine
    queries: int
    seed: int
    settings: dict[str, object]
    sizes: list[SizeResult]


class Target(BaseModel):
    field: str
    label: str
    op: Literal["<=", ">="]
    value: float
    unit: str

    def met(self, measured: float) -> bool:
        return measured <= self.value if self.op == "<=" else measured >= self.value


TARGETS = [
    Target(field="search_p50_ms", label="search p50", op="<=", value=20, unit="ms"),
    Target(field="search_p95_ms", label="search p95", op="<=", value=50, unit="ms"),
    Target(field="ask_p50_ms", label="extractive ask p50", op="<=", value=100, unit="ms"),
    Target(field="cold_ingest_articles_per_s", label="cold ingest", op=">=", value=25, unit="articles/s"),
    Target(field="reingest_articles_per_s", label="unchanged re-ingest", op=">=", value=1000, unit="articles/s"),
    Target(field="cold_ask_s", label="cold `assistant ask`", op="<=", value=3, unit="s"),
]


class BenchError(RuntimeError):
    pass


# --- running ------------------------------------------------------------------------------


def run_bench(
    sizes: list[int],
    queries: int = 200,
    workdir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    *,
    seed: int = 0,
    isolate: bool = True,
) -> BenchResult:
    """Measure each corpus size in turn (never two at once: the numbers are CPU-bound).

    ``workdir``: where the corpora and homes go (kept); default a temporary folder, removed.
    ``isolate``: measure each size in a fresh Python process (default); False measures in
    this process (for profiling), where peak RSS is this process's peak so far.
    """
    if not sizes or any(n < 1 for n in sizes):
        raise ValueError("sizes must be positive article counts")
    if queries < 1:
        raise ValueError("queries must be >= 1")
    say = progress or (lambda _line: None)
    code = code_version()  # now: each size's process imports the project as it starts
    machine = machine_info()
    say(f"machine: {machine.cpus} CPUs, {machine.cpu_model}, {machine.memory_gb:.1f} GB")
    results: list[SizeResult] = []
    for n in sizes:
        if workdir is not None:
            Path(workdir).mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix=f"bench-{n}-", dir=workdir))
            results.append(_run_size(n, queries, folder, seed, say, isolate))
        else:
            with tempfile.TemporaryDirectory(prefix=f"assistant-bench-{n}-") as tmp:
                results.append(_run_size(n, queries, Path(tmp), seed, say, isolate))
    return BenchResult(
        date=datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds"),
        code=code,
        machine=machine,
        queries=queries,
        seed=seed,
        settings=_settings_summary(),
        sizes=results,
    )


def _run_size(n: int, queries: int, folder: Path, seed: int, say: Callable[[str], None], isolate: bool) -> SizeResult:
    if not isolate:
        return measure_size(n, queries, folder, seed, say)
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter: no model or Chroma state carried over
    channel = ctx.Queue()
    worker = ctx.Process(target=_worker, args=(n, queries, str(folder), seed, channel), daemon=True)
    worker.start()
    try:
        while True:
            try:
                kind, payload = channel.get(timeout=1.0)
            except queue_mod.Empty:
                if not worker.is_alive():
                    raise BenchError(f"the benchmark worker for {n} articles died (exit code {worker.exitcode})")
                continue
            if kind == "progress":
                say(payload)
            elif kind == "result":
                return SizeResult.model_validate(payload)
            else:
                raise BenchError(f"the benchmark at {n} articles failed:\n{payload}")
    finally:
        worker.join(timeout=30)
        if worker.is_alive():
            worker.terminate()
            worker.join()


def _worker(n: int, queries: int, folder: str, seed: int, channel) -> None:
    try:
        result = measure_size(n, queries, Path(folder), seed, lambda line: channel.put(("progress", line)))
        channel.put(("result", result.model_dump(mode="json")))
    except BaseException:  # noqa: BLE001 - everything goes back to the parent
        channel.put(("error", traceback.format_exc()))


def measure_size(n: int, n_queries: int, folder: Path, seed: int, say: Callable[[str], None]) -> SizeResult:
    """Every measurement at one corpus size, in this process. ``folder`` must be empty or new."""
    import assistant.offline  # noqa: F401
    from assistant import Assistant
    from evals.synthetic import queries as make_queries
    from evals.synthetic import write_corpus

    began, load_before, code = time.perf_counter(), _load(), code_version()
    folder.mkdir(parents=True, exist_ok=True)
    corpus = write_corpus(folder / f"corpus-{n}.jsonl", n, seed=seed)
    home = folder / "home"
    questions = make_queries(n_queries, seed=seed)
    warmups = make_queries(WARMUP_QUERIES, seed=seed + 1_000_003)
    say(f"{n} articles: corpus {corpus.stat().st_size / 1e6:.1f} MB written, ingesting")

    a = Assistant(_settings(home, corpus.stat().st_size))
    try:
        # --- cold ingest, with the time spent inside the embedding model measured apart
        embedder = a.embedder
        inner_embed = embedder.embed
        spent = {"s": 0.0, "texts": 0}

        def timed_embed(texts):
            t = time.perf_counter()
            try:
                return inner_embed(texts)
            finally:
                spent["s"] += time.perf_counter() - t
                spent["texts"] += len(texts)

        embedder.embed = timed_embed  # an instance attribute shadows the method; removed below
        t = time.perf_counter()
        report = a.ingest([str(corpus)], progress=_IngestProgress(say, f"{n} articles: cold ingest"))
        cold_s = time.perf_counter() - t
        del embedder.embed
        if report.failed or report.added != n:
            raise BenchError(f"cold ingest of {n} articles: added {report.added}, failed {report.failed}: {report.errors[:3]}")
        passages = a.store.count_passages()
        say(f"{n} articles: cold ingest {cold_s:.1f} s ({n / cold_s:.1f} articles/s, {passages} passages, "
            f"{spent['s'] / cold_s:.0%} of it embedding)")

        # --- unchanged re-ingest
        t = time.perf_counter()
        again = a.ingest([str(corpus)])
        re_s = time.perf_counter() - t
        say(f"{n} articles: unchanged re-ingest {re_s:.2f} s ({again.unchanged} unchanged)")

        # --- warm search and ask
        t = time.perf_counter()
        a.search(warmups[0])
        first_ms = (time.perf_counter() - t) * 1000
        for q in warmups[1:]:
            a.search(q)
            a.ask(q)
        search_ms = []
        for q in questions:
            t = time.perf_counter()
            a.search(q)
            search_ms.append((time.perf_counter() - t) * 1000)
        s50, s95 = percentiles(search_ms)
        say(f"{n} articles: search p50 {s50:.1f} ms, p95 {s95:.1f} ms over {len(questions)} questions")
        filters = _filters(corpus)
        filtered_ms = []
        for i, q in enumerate(questions[:FILTERED_QUERIES]):
            t = time.perf_counter()
            a.search(q, filters=filters[i % len(filters)])
            filtered_ms.append((time.perf_counter() - t) * 1000)
        f50, f95 = percentiles(filtered_ms)
        say(f"{n} articles: filtered search p50 {f50:.1f} ms, p95 {f95:.1f} ms over {len(filtered_ms)} questions")
        ask_ms, found = [], 0
        for q in questions:
            t = time.perf_counter()
            answer = a.ask(q)
            ask_ms.append((time.perf_counter() - t) * 1000)
            found += answer.found
        a50, a95 = percentiles(ask_ms)
        say(f"{n} articles: ask p50 {a50:.1f} ms, p95 {a95:.1f} ms ({found}/{len(questions)} answered)")
        peak_rss_mb = _maxrss_mb(resource.getrusage(resource.RUSAGE_SELF))
    finally:
        a.close()  # the store folder takes one process at a time: free it for `assistant ask`
    del a
    gc.collect()

    # --- a cold process
    runs, rss = [], []
    for _ in range(COLD_RUNS):
        seconds, peak = _cold_ask(questions[0], home, folder)
        runs.append(seconds)
        rss.append(peak)
    cold_ask_s = sorted(runs)[len(runs) // 2]
    say(f"{n} articles: cold `assistant ask` {cold_ask_s:.2f} s (runs {', '.join(f'{r:.2f}' for r in runs)})")

    disk_mb = _disk_bytes(home) / 1e6
    return SizeResult(
        articles=n,
        passages=passages,
        corpus_mb=round(corpus.stat().st_size / 1e6, 2),
        cold_ingest_s=cold_s,
        cold_ingest_articles_per_s=n / cold_s,
        embed_passages_per_s=passages / cold_s,
        embed_model_passages_per_s=spent["texts"] / spent["s"] if spent["s"] else 0.0,
        embed_share=spent["s"] / cold_s,
        reingest_s=re_s,
        reingest_articles_per_s=n / re_s,
        reingest_unchanged=again.unchanged,
        first_search_ms=first_ms,
        search_p50_ms=s50,
        search_p95_ms=s95,
        search_mean_ms=sum(search_ms) / len(search_ms),
        filtered_search_p50_ms=f50,
        filtered_search_p95_ms=f95,
        filtered_questions=len(filtered_ms),
        ask_p50_ms=a50,
        ask_p95_ms=a95,
        ask_mean_ms=sum(ask_ms) / len(ask_ms),
        asks_found=found,
        questions=len(questions),
        cold_ask_s=cold_ask_s,
        cold_ask_runs_s=runs,
        peak_rss_mb=peak_rss_mb,
        cold_ask_peak_rss_mb=max(rss),
        disk_mb=disk_mb,
        total_s=time.perf_counter() - began,
        load_before=load_before,
        load_after=_load(),
        code=code,
    )


def _filters(corpus: Path) -> list:
    """The filters people use, fitted to the corpus: the last 52 weeks, the same as a date,
    its most common magazine, its most common topic. Searches take them in turn."""
    from collections import Counter

    from assistant.models import SearchFilters
    from evals.synthetic import week_start

    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    newest = max(r["week"] for r in records)
    magazine = Counter(r["magazine"] for r in records if r.get("magazine")).most_common(1)[0][0]
    topic = Counter(t for r in records for t in r.get("topics", [])).most_common(1)[0][0]
    return [
        SearchFilters(week_from=newest - 51, week_to=newest),
        SearchFilters(magazine=magazine),
        SearchFilters(topic=topic),
        SearchFilters(since=week_start(newest - 51)),
    ]


class _IngestProgress:
    """index.ingest.Progress -> a line every 10% (the 5,000-article ingest takes many minutes)."""

    def __init__(self, say: Callable[[str], None], label: str):
        self._say, self._label = say, label
        self._total = self._done = 0
        self._next = 0.1
        self._t0 = time.perf_counter()

    def start(self, total: int) -> None:
        self._total, self._done, self._next = total, 0, 0.1
        self._t0 = time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self._done += n
        if not self._total or self._done / self._total < self._next or self._done >= self._total:
            return
        elapsed = time.perf_counter() - self._t0
        rate = self._done / elapsed if elapsed else 0.0
        eta = (self._total - self._done) / rate if rate else 0.0
        self._say(f"{self._label} {self._done}/{self._total} ({rate:.1f} articles/s, ~{eta:.0f} s left)")
        while self._next <= self._done / self._total:
            self._next += 0.1


def _settings(home: Path, corpus_bytes: int):
    from assistant.settings import Settings

    # A fresh embedded store whatever the environment says; one JSONL file holds the whole
    # corpus, so the per-file size limit is raised to fit it (a 5,000-article file is ~15 MB).
    default_limit = Settings.model_fields["max_source_bytes"].default
    return Settings(
        _env_file=None,
        home=home,
        chroma_host=None,
        collection="digest",
        max_source_bytes=max(default_limit, corpus_bytes + 1),
    )


def _settings_summary() -> dict[str, object]:
    import assistant.offline  # noqa: F401

    s = _settings(Path("unused"), 0)
    keys = ("embed_threads", "embed_batch_size", "passage_words", "top_k", "candidates",
            "keyword_refresh_seconds", "answer_sentences", "min_relevance")
    return {k: getattr(s, k) for k in keys}


def _assistant_command() -> list[str]:
    beside = Path(sys.executable).with_name("assistant")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("assistant")
    return [found] if found else [sys.executable, "-m", "bots.cli"]


# Runs the command and reports its wall time and peak RSS. Needed because Linux carries a
# process's RSS high-water mark across exec: a child forked from the big measuring process
# would report the measuring process's RSS, not its own. Forked from this small launcher,
# the command's ru_maxrss is its own.
_LAUNCHER = """
import json, os, subprocess, sys, time
t = time.perf_counter()
p = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(p.pid, 0)
seconds = time.perf_counter() - t
with open(sys.argv[1], "w") as fh:
    json.dump({"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "code": os.waitstatus_to_exitcode(status)}, fh)
"""


def _cold_ask(question: str, home: Path, cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `assistant ask` process on ``home``.

    Run in ``cwd`` (no .env there) with the caller's environment, minus anything that would
    point it elsewhere than ``home``.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("ASSISTANT_CHROMA_HOST", "ASSISTANT_COLLECTION")}
    env["ASSISTANT_HOME"] = str(home)
    stats = cwd / "cold-ask.json"
    command = [sys.executable, "-c", _LAUNCHER, str(stats), *_assistant_command(), "ask", question]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True)
    try:
        got = json.loads(stats.read_text())
    except (OSError, ValueError):
        got = {"code": done.returncode}
    if done.returncode != 0 or got.get("code") != 0:
        text = (done.stderr or done.stdout).decode(errors="replace")[-2000:]
        raise BenchError(f"`assistant ask` exited {got.get('code')}: {text}")
    return float(got["seconds"]), _maxrss_mb(got["maxrss_kb"])


# --- helpers ------------------------------------------------------------------------------


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def percentiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95; every benchmark in evals/ reports these two."""
    import numpy as np

    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return float(p50), float(p95)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 for a server a benchmark starts."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _maxrss_mb(usage) -> float:
    """ru_maxrss (a resource usage, or the number itself) in MB: Linux counts kilobytes, macOS bytes."""
    value = usage if isinstance(usage, (int, float)) else usage.ru_maxrss
    return value * (1 if sys.platform == "darwin" else 1024) / 1e6


def _disk_bytes(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += st.st_blocks * 512
    return total


def code_version() -> str:
    """"c9e0a74", or "c9e0a74 + uncommitted changes" when the project's code (not evals/ or
    tests/) differs from that commit."""
    root = Path(__file__).resolve().parents[1]
    try:
        rev = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=10)
        # Changes to the benchmark and tests themselves do not change what is measured.
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no",
                                 "--", ".", ":!evals", ":!tests"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if rev.returncode != 0:
        return "unknown"
    return rev.stdout.strip() + (" + uncommitted changes" if status.stdout.strip() else "")


def machine_info() -> Machine:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    model, mem_gb = platform.processor() or "unknown", 0.0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    packages = {}
    for name in ("chromadb", "onnxruntime", "bm25s", "llama-index-core", "tokenizers", "numpy"):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return Machine(
        cpus=cpus,
        cpu_model=model,
        memory_gb=round(mem_gb, 1),
        python=platform.python_version(),
        platform=platform.platform(),
        packages=packages,
    )


# --- report -------------------------------------------------------------------------------


def _fmt(x: float, digits: int = 1) -> str:
    if not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}"


def _target_row(result: BenchResult) -> SizeResult | None:
    if not result.sizes:
        return None
    exact = [s for s in result.sizes if s.articles == TARGET_SIZE]
    return exact[0] if exact else max(result.sizes, key=lambda s: s.articles)


def format_markdown(result: BenchResult) -> str:
    m = result.machine
    lines = [
        "# Speed benchmark",
        "",
        f"- Date: {result.date}; code: {result.code}",
        f"- Machine: {m.cpus} CPUs ({m.cpu_model}), {m.memory_gb:.1f} GB RAM, Python {m.python}, {m.platform}",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in m.packages.items()),
        "- Settings: " + ", ".join(f"{k}={v}" for k, v in result.settings.items()),
        f"- Corpus: synthetic digest recombined from the bundled sample (`evals/synthetic.py`, seed {result.seed}); "
        f"{result.queries} questions from `evals.synthetic.queries`, after {WARMUP_QUERIES} warm-up questions",
        "",
        "## Results",
        "",
        "| articles | passages | cold ingest (articles/s) | embedding (passages/s) | unchanged re-ingest (articles/s) "
        "| search p50 / p95 (ms) | extractive ask p50 / p95 (ms) | cold `assistant ask` (s) "
        "| peak RSS (MB) | cold ask RSS (MB) | disk (MB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in result.sizes:
        lines.append(
            f"| {s.articles:,} | {s.passages:,} | {_fmt(s.cold_ingest_articles_per_s)} "
            f"| {_fmt(s.embed_passages_per_s)} | {_fmt(s.reingest_articles_per_s, 0)} "
            f"| {_fmt(s.search_p50_ms)} / {_fmt(s.search_p95_ms)} | {_fmt(s.ask_p50_ms)} / {_fmt(s.ask_p95_ms)} "
            f"| {_fmt(s.cold_ask_s, 2)} | {_fmt(s.peak_rss_mb, 0)} | {_fmt(s.cold_ask_peak_rss_mb, 0)} "
            f"| {_fmt(s.disk_mb, 1)} |"
        )
    lines += [
        "",
        "| articles | cold ingest (s) | time in embedding model | model alone (passages/s) | re-ingest (s) "
        "| first search (ms) | search mean (ms) | filtered search p50 / p95 (ms) | ask mean (ms) | answered "
        "| cold ask runs (s) | corpus (MB) | load avg before / after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for s in result.sizes:
        lines.append(
            f"| {s.articles:,} | {_fmt(s.cold_ingest_s)} | {s.embed_share:.0%} | {_fmt(s.embed_model_passages_per_s)} "
            f"| {_fmt(s.reingest_s, 2)} | {_fmt(s.first_search_ms, 0)} | {_fmt(s.search_mean_ms)} "
            f"| {_fmt(s.filtered_search_p50_ms)} / {_fmt(s.filtered_search_p95_ms)} "
            f"| {_fmt(s.ask_mean_ms)} | {s.asks_found}/{s.questions} "
            f"| {', '.join(_fmt(r, 2) for r in s.cold_ask_runs_s)} | {_fmt(s.corpus_mb)} "
            f"| {_fmt(s.load_before, 2)} / {_fmt(s.load_after, 2)} |"
        )
    for s in result.sizes:
        if s.code != result.code:
            lines += ["", f"**Note:** the project's code changed during the run: the {s.articles:,}-article size "
                          f"ran on {s.code}."]
    broken = [s for s in result.sizes if s.reingest_unchanged != s.articles]
    for s in broken:
        lines += ["", f"**Warning:** re-ingest at {s.articles:,} articles reported {s.reingest_unchanged:,} unchanged, "
                      f"not {s.articles:,}: ingest is not idempotent there."]

    row = _target_row(result)
    if row is not None:
        where = f"at {row.articles:,} articles"
        if row.articles != TARGET_SIZE:
            where += f"; the targets are set for {TARGET_SIZE:,}, not measured here"
        lines += ["", f"## Targets ({where})", "", "| target | goal | measured | met |", "|---|---:|---:|:---:|"]
        for t in TARGETS:
            measured = getattr(row, t.field)
            digits = 0 if t.unit == "articles/s" and measured >= 100 else (2 if t.unit == "s" else 1)
            lines.append(
                f"| {t.label} | {t.op.replace('<=', '≤').replace('>=', '≥')} {t.value:,g} {t.unit} "
                f"| {_fmt(measured, digits)} {t.unit} | {'✓' if t.met(measured) else '✗'} |"
            )
    lines += [
        "",
        "## How it was measured",
        "",
        "- Each size runs in a fresh Python process with a fresh temporary `ASSISTANT_HOME` (embedded Chroma).",
        "- Cold ingest: wall time of `Assistant.ingest` on one JSONL file, model load included; embedding (passages/s) "
        "is passages over that wall time, 'model alone' is passages over the time inside `Embedder.embed`.",
        "- Unchanged re-ingest: the same file again in the same process; every article must come back unchanged.",
        "- Search / ask: `time.perf_counter` around each `Assistant.search` / `Assistant.ask` (extractive), warm "
        "process, the same questions for both; the first search (retriever and keyword index built) is shown apart.",
        f"- Filtered search: the first {FILTERED_QUERIES} questions again, each with one filter in turn (the last 52 weeks, "
        "the same period as a `since` date, the corpus's most common magazine, its most common topic); not a target.",
        f"- Cold `assistant ask`: the console script in a new process on the same home (page cache warm), median of "
        f"{COLD_RUNS}, timed by a small launcher process that reaps it with `wait4` (its RSS is the child's own: "
        "forked straight from the measuring process it would inherit that process's high-water mark).",
        "- Peak RSS: `getrusage(RUSAGE_SELF).ru_maxrss` of the measuring process. Disk: allocated blocks of the home folder.",
        f"- The machine has {m.cpus} CPUs and the benchmark alone keeps them busy (1-minute load near {m.cpus}); a load "
        f"well above {m.cpus} means other work competed and the times are pessimistic. Repeated runs differ by "
        "about ±15% in search and cold-process times.",
    ]
    return "\n".join(lines) + "\n"


# --- command line -------------------------------------------------------------------------


def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be comma-separated integers, got {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def save(result: "BenchResult", out: Path) -> None:
    """Write the Markdown report and, beside it, the raw numbers as JSON."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(format_markdown(result), encoding="utf-8")
    out.with_suffix(".json").write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_parse_sizes, default=[1000, 5000], help="article counts, e.g. 1000,5000")
    parser.add_argument("--queries", type=int, default=200, help="timed questions per size (default 200)")
    parser.add_argument("--out", type=Path, help="write the markdown report here (and the raw numbers as .json)")
    parser.add_argument("--workdir", type=Path, help="keep corpora and homes here instead of a temporary folder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--in-process", action="store_true", help="measure in this process (for profiling)")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {line}", file=sys.stderr, flush=True)

    result = run_bench(args.sizes, args.queries, args.workdir, say, seed=args.seed, isolate=not args.in_process)
    text = format_markdown(result)
    if args.out:
        save(result, args.out)
        say(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
