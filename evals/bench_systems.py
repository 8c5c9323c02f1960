"""The systems the speed benchmark measures, each at one corpus size, in the calling process:

- ``assistant``: the project on an embedded Chroma (``PersistentClient``), the default;
- ``assistant-server``: the project on a Chroma server (``chroma run`` on 127.0.0.1);
- ``llamaindex``: the plain LlamaIndex pipeline of ``evals.baseline`` (``SentenceSplitter``,
  in-memory ``VectorStoreIndex``, top-5), the same model.

Each gets the same corpus file, the same questions in the same order, and passage vectors
from the same source (``evals.vectors``).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from evals.bench_support import (
    assistant_command,
    code_version,
    disk_bytes,
    load_avg,
    own_peak_rss_mb,
    percentiles,
    timed_command,
)
from index import ingest

System = Literal["assistant", "assistant-server", "llamaindex"]
VectorMode = Literal["model", "pooled"]
SYSTEMS: tuple[System, ...] = ("assistant", "assistant-server", "llamaindex")
WARMUP_QUERIES = 10
FILTERED_QUERIES = 50  # at most: filtered searches are slower and not a target
COLD_RUNS = 3


class SystemSpec(BaseModel):
    """What one measuring process is asked to do."""

    system: System
    articles: int
    corpus: Path
    folder: Path = Field(description="This system's own working folder (its home, its index).")
    queries: int
    seed: int
    vectors: VectorMode
    record: Path | None = Field(None, description="Save the passage vectors made here (for the next system).")
    replay: Path | None = Field(None, description="Reuse passage vectors saved by an earlier system.")
    chroma_host: str | None = None
    chroma_port: int | None = None
    max_plain_queries: int = Field(200, description="The plain pipeline searches by brute force: cap its questions.")


class SystemResult(BaseModel):
    system: System
    vectors: str = Field(description="model, replayed (vectors from the embedded run) or pooled (evals.vectors).")
    passages: int = Field(description="Passages (the assistant) or nodes (LlamaIndex) indexed.")
    cold_ingest_s: float
    cold_ingest_articles_per_s: float
    embed_s: float = Field(description="Time inside the passage-vector source during the cold ingest.")
    embed_texts: int
    index_articles_per_s: float = Field(description="Articles over the cold ingest minus its embedding time.")
    embed_provider: str | None = Field(None, description="The onnxruntime execution provider that embedded.")
    raw_model_articles_per_s: float | None = Field(
        None, description="The model alone on the first articles' passages, batched as the ingest does: its ceiling."
    )
    reingest_s: float
    reingest_articles_per_s: float
    reingest_unchanged: int
    first_search_ms: float
    search_p50_ms: float
    search_p95_ms: float
    search_mean_ms: float
    search_questions: int
    filtered_search_p50_ms: float | None = None
    filtered_search_p95_ms: float | None = None
    ask_p50_ms: float | None = None
    ask_p95_ms: float | None = None
    asks_found: int | None = None
    cold_ask_s: float | None = Field(None, description="Median wall time of `assistant ask` in a new process.")
    cold_ask_runs_s: list[float] = Field(default_factory=list)
    cold_ask_peak_rss_mb: float | None = None
    peak_rss_mb: float = Field(description="Peak RSS of the measuring process.")
    server_peak_rss_mb: float | None = Field(None, description="Peak RSS of the Chroma server process.")
    disk_mb: float = Field(
        description="On disk: the home folder, plus the server's data; LlamaIndex: its persisted index."
    )
    total_s: float
    code: str
    load_before: float
    load_after: float


def measure(spec: SystemSpec, say: Callable[[str], None]) -> SystemResult:
    spec.folder.mkdir(parents=True, exist_ok=True)
    if spec.system == "llamaindex":
        return measure_plain(spec, say)
    return measure_assistant(spec, say)


# --- vectors ------------------------------------------------------------------------------


def _passage_vectors(spec: SystemSpec, model):
    from evals.vectors import Pooled, Recorded, sample_passages

    if spec.vectors == "pooled":
        return Pooled(model, sample_passages())
    if spec.replay is not None and spec.replay.exists():
        return Recorded.load(model, spec.replay)
    return Recorded(model)


def _questions(spec: SystemSpec) -> tuple[list[str], list[str]]:
    from evals.synthetic import queries

    return queries(spec.queries, seed=spec.seed), queries(WARMUP_QUERIES, seed=spec.seed + 1_000_003)


def _ms_each(fn: Callable[[str], object], questions: list[str]) -> list[float]:
    out = []
    for q in questions:
        t = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t) * 1000)
    return out


# --- the assistant ------------------------------------------------------------------------


def measure_assistant(spec: SystemSpec, say: Callable[[str], None]) -> SystemResult:
    import assistant.offline  # noqa: F401
    from assistant import Assistant
    from evals.vectors import Recorded, Timed

    began, load_before, code = time.perf_counter(), load_avg(), code_version()
    name = f"{spec.articles:,} articles, {spec.system}"
    questions, warmups = _questions(spec)
    home = spec.folder / "home"
    settings = _settings(spec, home)
    a = Assistant(settings)
    try:
        model = a.embedder
        source = _passage_vectors(spec, model)
        timed = Timed(source)
        # The ingest only goes through the timed vectors: answers re-embed sentences with the real model.
        writer = Assistant(settings, embedder=timed, store=a.store, keywords=a.keywords)  # type: ignore[arg-type]
        t = time.perf_counter()
        report = ingest(writer, [str(spec.corpus)], progress=_IngestProgress(say, f"{name}: cold ingest"))
        cold_s = time.perf_counter() - t
        if report.failed or report.added != spec.articles:
            raise RuntimeError(f"{name}: cold ingest added {report.added}, failed {report.failed}: {report.errors[:3]}")
        if spec.record is not None and isinstance(source, Recorded):
            source.save(spec.record)
        vectors = "replayed" if isinstance(source, Recorded) and source.replayed else spec.vectors
        passages = a.store.count_passages()
        say(
            f"{name}: cold ingest {cold_s:.1f} s ({spec.articles / cold_s:.1f} articles/s, {passages:,} passages, "
            f"{timed.seconds / cold_s:.0%} of it making vectors: {vectors})"
        )

        raw = _raw_model_articles_per_s(spec.corpus, model) if vectors == "model" else None
        if raw:
            say(
                f"{name}: the model alone {raw:.1f} articles/s; cold ingest at {spec.articles / cold_s / raw:.0%} of it"
            )

        t = time.perf_counter()
        again = ingest(a, [str(spec.corpus)])
        re_s = time.perf_counter() - t
        say(f"{name}: unchanged re-ingest {re_s:.2f} s ({again.unchanged:,} unchanged)")

        t = time.perf_counter()
        a.search(warmups[0])
        first_ms = (time.perf_counter() - t) * 1000
        for q in warmups[1:]:
            a.search(q)
            a.ask(q)
        search_ms = _ms_each(a.search, questions)
        s50, s95 = percentiles(search_ms)
        say(f"{name}: search p50 {s50:.1f} ms, p95 {s95:.1f} ms over {len(questions)} questions")
        filters = _filters(spec.corpus)
        filtered_ms = []
        for i, q in enumerate(questions[:FILTERED_QUERIES]):
            t = time.perf_counter()
            a.search(q, filters=filters[i % len(filters)])
            filtered_ms.append((time.perf_counter() - t) * 1000)
        f50, f95 = percentiles(filtered_ms)
        found = 0

        def ask(q: str) -> None:
            nonlocal found
            found += a.ask(q).found

        ask_ms = _ms_each(ask, questions)
        a50, a95 = percentiles(ask_ms)
        say(f"{name}: ask p50 {a50:.1f} ms, p95 {a95:.1f} ms ({found}/{len(questions)} answered)")
        peak = own_peak_rss_mb()
    finally:
        a.close()  # an embedded store takes one process at a time: free it for `assistant ask`
    gc.collect()

    runs, rss = [], []
    for _ in range(COLD_RUNS):
        seconds, peak_child, exit_code, tail = timed_command(
            [*assistant_command(), "ask", questions[0]], _child_env(spec, home), spec.folder
        )
        if exit_code != 0:
            raise RuntimeError(f"`assistant ask` exited {exit_code}: {tail}")
        runs.append(seconds)
        rss.append(peak_child)
    cold = sorted(runs)[len(runs) // 2]
    say(f"{name}: cold `assistant ask` {cold:.2f} s")
    return SystemResult(
        system=spec.system,
        vectors=vectors,
        passages=passages,
        cold_ingest_s=cold_s,
        cold_ingest_articles_per_s=spec.articles / cold_s,
        embed_s=timed.seconds,
        embed_texts=timed.texts,
        index_articles_per_s=spec.articles / max(cold_s - timed.seconds, 1e-9),
        embed_provider=getattr(model, "provider", None),
        raw_model_articles_per_s=raw,
        reingest_s=re_s,
        reingest_articles_per_s=spec.articles / re_s,
        reingest_unchanged=again.unchanged,
        first_search_ms=first_ms,
        search_p50_ms=s50,
        search_p95_ms=s95,
        search_mean_ms=sum(search_ms) / len(search_ms),
        search_questions=len(search_ms),
        filtered_search_p50_ms=f50,
        filtered_search_p95_ms=f95,
        ask_p50_ms=a50,
        ask_p95_ms=a95,
        asks_found=found,
        cold_ask_s=cold,
        cold_ask_runs_s=runs,
        cold_ask_peak_rss_mb=max(rss),
        peak_rss_mb=peak,
        disk_mb=disk_bytes(home) / 1e6,
        total_s=time.perf_counter() - began,
        code=code,
        load_before=load_before,
        load_after=load_avg(),
    )


def _settings(spec: SystemSpec, home: Path):
    from assistant.settings import Settings, SourceSettings

    # A fresh store whatever the environment says; one JSONL file holds the whole corpus,
    # so the per-file size limit is raised to fit it (a 100,000-article file is ~300 MB).
    default_limit = SourceSettings.model_fields["max_source_bytes"].default
    return Settings(
        _env_file=None,
        home=home,
        chroma_host=spec.chroma_host,
        chroma_port=spec.chroma_port or 8000,
        collection=f"bench-{spec.articles}",
        max_source_bytes=max(default_limit, spec.corpus.stat().st_size + 1),
    )


def _child_env(spec: SystemSpec, home: Path) -> dict[str, str]:
    """The caller's environment, pointed at this run's store and nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_HOME=str(home), ASSISTANT_COLLECTION=f"bench-{spec.articles}")
    if spec.chroma_host:
        env.update(ASSISTANT_CHROMA_HOST=spec.chroma_host, ASSISTANT_CHROMA_PORT=str(spec.chroma_port))
    return env


def _filters(corpus: Path) -> list:
    """The filters people use, fitted to the corpus: the last 52 weeks, the same as a date,
    its most common magazine, its most common topic. Searches take them in turn."""
    import json
    from collections import Counter

    from assistant.models import SearchFilters
    from evals.synthetic import week_start

    weeks, magazines, topics = [], Counter(), Counter()
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                weeks.append(r["week"])
                magazines[r.get("magazine")] += 1
                topics.update(r.get("topics", []))
    newest = max(weeks)
    magazines.pop(None, None)
    return [
        SearchFilters(week_from=newest - 51, week_to=newest),
        SearchFilters(magazine=magazines.most_common(1)[0][0]),
        SearchFilters(topic=topics.most_common(1)[0][0]),
        SearchFilters(since=week_start(newest - 51)),
    ]


class _IngestProgress:
    """assistant.ports.Progress -> a line every 10% (big ingests take many minutes)."""

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
        self._say(f"{self._label} {self._done:,}/{self._total:,} ({rate:.1f} articles/s, ~{eta:.0f} s left)")
        while self._next <= self._done / self._total:
            self._next += 0.1


# --- the plain LlamaIndex pipeline --------------------------------------------------------


def measure_plain(spec: SystemSpec, say: Callable[[str], None]) -> SystemResult:
    import assistant.offline  # noqa: F401
    from assistant.embedding import MiniLMEmbedder
    from evals import baseline
    from evals.vectors import Timed

    began, load_before, code = time.perf_counter(), load_avg(), code_version()
    name = f"{spec.articles:,} articles, llamaindex"
    questions, warmups = _questions(spec)
    questions = questions[: spec.max_plain_queries]
    model = MiniLMEmbedder()
    timed = Timed(_passage_vectors(spec, model))

    t = time.perf_counter()
    articles = _read_articles(spec.corpus)
    index = baseline.build_index(articles, timed)
    cold_s = time.perf_counter() - t
    nodes = len(index.docstore.docs)
    say(
        f"{name}: cold ingest {cold_s:.1f} s ({spec.articles / cold_s:.1f} articles/s, {nodes:,} nodes, "
        f"{timed.seconds / cold_s:.0%} of it making vectors: {spec.vectors})"
    )

    # LlamaIndex's own way to skip unchanged documents: compare each document's hash.
    t = time.perf_counter()
    refreshed = index.refresh_ref_docs(baseline.documents(_read_articles(spec.corpus)))
    re_s = time.perf_counter() - t
    unchanged = refreshed.count(False)
    say(f"{name}: unchanged re-ingest {re_s:.2f} s ({unchanged:,} unchanged)")

    retriever = index.as_retriever(similarity_top_k=baseline.TOP_K)
    t = time.perf_counter()
    retriever.retrieve(warmups[0])
    first_ms = (time.perf_counter() - t) * 1000
    for q in warmups[1:3]:
        retriever.retrieve(q)
    search_ms = _ms_each(retriever.retrieve, questions)
    s50, s95 = percentiles(search_ms)
    say(f"{name}: search p50 {s50:.1f} ms, p95 {s95:.1f} ms over {len(questions)} questions")
    peak = own_peak_rss_mb()

    persisted = spec.folder / "llamaindex"
    index.storage_context.persist(persist_dir=str(persisted))  # its default on-disk form
    return SystemResult(
        system="llamaindex",
        vectors=spec.vectors,
        passages=nodes,
        cold_ingest_s=cold_s,
        cold_ingest_articles_per_s=spec.articles / cold_s,
        embed_s=timed.seconds,
        embed_texts=timed.texts,
        index_articles_per_s=spec.articles / max(cold_s - timed.seconds, 1e-9),
        reingest_s=re_s,
        reingest_articles_per_s=spec.articles / re_s,
        reingest_unchanged=unchanged,
        first_search_ms=first_ms,
        search_p50_ms=s50,
        search_p95_ms=s95,
        search_mean_ms=sum(search_ms) / len(search_ms),
        search_questions=len(search_ms),
        peak_rss_mb=peak,
        disk_mb=disk_bytes(persisted) / 1e6,
        total_s=time.perf_counter() - began,
        code=code,
        load_before=load_before,
        load_after=load_avg(),
    )


def _read_articles(corpus: Path) -> list:
    from index.documents import SourceDocument
    from index.parse import parse_document

    return parse_document(SourceDocument(name=corpus.name, kind="jsonl", content=corpus.read_text(encoding="utf-8")))


RAW_MODEL_ARTICLES = 200  # ~1,000 passages: a steady figure, at a small share of the ingest it is set against


def _raw_model_articles_per_s(corpus: Path, model) -> float:
    """The model alone on the corpus's first articles, cut and batched as the ingest does."""
    from index.passages import embedding_text, split_article
    from index.pipeline import ARTICLES_PER_BATCH

    articles = _read_articles(corpus)[:RAW_MODEL_ARTICLES]
    batches = [
        [embedding_text(a, p) for a in articles[start : start + ARTICLES_PER_BATCH] for p in split_article(a)]
        for start in range(0, len(articles), ARTICLES_PER_BATCH)
    ]
    t = time.perf_counter()
    for texts in batches:
        model.embed(texts)
    return len(articles) / (time.perf_counter() - t)
