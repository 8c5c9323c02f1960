"""The speed benchmark's Markdown report and plots (``evals/results/bench.md`` and PNGs)."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

from evals.bench_results import INGEST_SPEEDUP_TARGET, TARGETS, BenchResult
from evals.bench_systems import COLD_RUNS, FILTERED_QUERIES, WARMUP_QUERIES
from evals.plots import LABELS, scale_plot


def plot(result: BenchResult, folder: Path, stem: str = "bench") -> list[Path]:
    return [scale_plot(result, folder / f"{stem}-scale.png")]


def _fmt(x: float | None, digits: int = 1) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}"


def _ratio(ours: float | None, theirs: float | None, higher_is_better: bool) -> str:
    """ "3.2× better" style: how many times better the assistant is (below 1: worse)."""
    if not ours or not theirs or not math.isfinite(ours) or not math.isfinite(theirs):
        return "—"
    r = ours / theirs if higher_is_better else theirs / ours
    return f"{r:,.2f}×"


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def format_markdown(result: BenchResult, images: list[str] | None = None) -> str:
    m = result.machine
    lines = [
        "# Speed benchmark",
        "",
        f"- Date: {result.date}; code: {result.code}",
        f"- Machine: {m.cpus} CPUs ({m.cpu_model}), {m.memory_gb:.1f} GB RAM, Python {m.python}, {m.platform}",
        "- Packages: " + ", ".join(f"{k} {v}" for k, v in m.packages.items()),
        "- Settings: " + ", ".join(f"{k}={v}" for k, v in result.settings.items()),
        f"- Corpus: synthetic digest recombined from the bundled sample (`evals/synthetic.py`, seed {result.seed}); "
        f"{result.queries} questions from `evals.synthetic.queries` after {WARMUP_QUERIES} warm-up questions",
        f"- Passage vectors: embedded by the real model up to {result.embed_up_to:,} articles; above that, pooled "
        "real vectors (`evals/vectors.py`), so at those sizes cold ingest leaves out the model's time "
        "(projected below) and everything else is measured as is",
        f"- Re-run: `assistant bench --sizes {','.join(str(r.articles) for r in result.sizes)} --out "
        "evals/results/bench.md`",
    ]
    for image in images or []:
        lines += ["", f"![{image}]({image})"]
    lines += _results(result) + _ratios(result) + _server(result) + _targets(result) + _speech(result) + _how(result)
    return "\n".join(lines) + "\n"


def _results(result: BenchResult) -> list[str]:
    lines = [
        "",
        "## Results",
        "",
        "| articles | system | vectors | passages | cold ingest (articles/s) | without making vectors (articles/s) "
        "| unchanged re-ingest (articles/s) | search p50 / p95 (ms) | filtered search p50 / p95 (ms) "
        "| extractive ask p50 / p95 (ms) | cold `assistant ask` (s) | peak RSS (MB) | disk (MB) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result.sizes:
        for s in run.systems:
            rss = _fmt(s.peak_rss_mb, 0)
            if s.server_peak_rss_mb:
                rss += f" + server {_fmt(s.server_peak_rss_mb, 0)}"
            lines.append(
                f"| {run.articles:,} | {LABELS[s.system]} | {s.vectors} | {s.passages:,} "
                f"| {_fmt(s.cold_ingest_articles_per_s)} | {_fmt(s.index_articles_per_s)} "
                f"| {_fmt(s.reingest_articles_per_s, 0)} | {_fmt(s.search_p50_ms)} / {_fmt(s.search_p95_ms)} "
                f"| {_fmt(s.filtered_search_p50_ms)} / {_fmt(s.filtered_search_p95_ms)} "
                f"| {_fmt(s.ask_p50_ms)} / {_fmt(s.ask_p95_ms)} | {_fmt(s.cold_ask_s, 2)} | {rss} | {_fmt(s.disk_mb)} |"
            )
    lines += [
        "",
        "| articles | system | cold ingest (s) | making vectors (s) | re-ingest (s) | first search (ms) "
        "| search questions | answered | cold ask runs (s) | load avg before / after |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for run in result.sizes:
        for s in run.systems:
            answered = f"{s.asks_found}/{s.search_questions}" if s.asks_found is not None else "—"
            lines.append(
                f"| {run.articles:,} | {LABELS[s.system]} | {_fmt(s.cold_ingest_s)} | {_fmt(s.embed_s)} "
                f"| {_fmt(s.reingest_s, 2)} | {_fmt(s.first_search_ms, 0)} | {s.search_questions} | {answered} "
                f"| {', '.join(_fmt(r, 2) for r in s.cold_ask_runs_s) or '—'} "
                f"| {_fmt(s.load_before, 2)} / {_fmt(s.load_after, 2)} |"
            )
    for run in result.sizes:
        for s in run.systems:
            if s.reingest_unchanged != run.articles:
                lines += [
                    "",
                    f"**Warning:** {LABELS[s.system]} re-ingest at {run.articles:,} articles reported "
                    f"{s.reingest_unchanged:,} unchanged, not {run.articles:,}.",
                ]
    changed = sorted({s.code for run in result.sizes for s in run.systems if s.code != result.code})
    for code in changed:
        where = [
            f"{LABELS[s.system]} at {run.articles:,}" for run in result.sizes for s in run.systems if s.code == code
        ]
        lines += [
            "",
            f"**Note:** the project's tracked files changed during the run (started on {result.code}); "
            f"these ran on {code}: {', '.join(where)}.",
        ]
    raw = [(run, s) for run in result.sizes for s in run.systems if s.raw_model_articles_per_s]
    if raw:
        lines += ["", "| articles | system | embedded on | the model alone (articles/s) | cold ingest, of that |"]
        lines.append("|---:|---|---|---:|---:|")
        for run, s in raw:
            share = s.cold_ingest_articles_per_s / (s.raw_model_articles_per_s or 1)
            lines.append(
                f"| {run.articles:,} | {LABELS[s.system]} | {s.embed_provider or '—'} "
                f"| {_fmt(s.raw_model_articles_per_s)} | {share:.0%} |"
            )
    projected = _projected(result)
    if projected:
        lines += [
            "",
            "Projected cold ingest with the real model at the pooled sizes (the model's measured "
            "passages/s added to the measured rest):",
            "",
            "| articles | system | projected cold ingest (articles/s) | projected time |",
            "|---:|---|---:|---:|",
        ]
        for n, system, rate in projected:
            hours = n / rate / 3600
            took = f"{_fmt(hours, 1)} h" if hours >= 1 else f"{_fmt(hours * 60, 0)} min"
            lines.append(f"| {n:,} | {LABELS[system]} | {_fmt(rate)} | {took} |")
    return lines


def _model_speed(result: BenchResult, system: str) -> float | None:
    """Texts per second inside the real model, for ``system``, at the biggest embedded size."""
    rows = [run.get(system) for run in result.sizes if run.vectors == "model"]  # type: ignore[arg-type]
    rows = [r for r in rows if r and r.vectors == "model" and r.embed_s > 0]
    return rows[-1].embed_texts / rows[-1].embed_s if rows else None


def _projected(result: BenchResult) -> list[tuple[int, str, float]]:
    out = []
    for run in result.sizes:
        if run.vectors != "pooled":
            continue
        for s in run.systems:
            speed = _model_speed(result, s.system)
            if speed and s.system != "assistant-server":
                seconds = (s.cold_ingest_s - s.embed_s) + s.embed_texts / speed
                out.append((run.articles, s.system, run.articles / seconds))
    return out


# (header, field, higher is better)
_AGAINST_PLAIN = [
    ("cold ingest", "cold_ingest_articles_per_s", True),
    ("without making vectors", "index_articles_per_s", True),
    ("unchanged re-ingest", "reingest_articles_per_s", True),
    ("search p50", "search_p50_ms", False),
    ("search p95", "search_p95_ms", False),
    ("peak RSS", "peak_rss_mb", False),
    ("disk", "disk_mb", False),
]
_SERVER_AGAINST_EMBEDDED = [
    ("ingest without making vectors", "index_articles_per_s", True),
    ("search p50", "search_p50_ms", False),
    ("search p95", "search_p95_ms", False),
    ("ask p50", "ask_p50_ms", False),
    ("cold `assistant ask`", "cold_ask_s", False),
    ("client RSS", "peak_rss_mb", False),
]


def _ratios(result: BenchResult) -> list[str]:
    lines = _ratio_table(
        result,
        "assistant",
        "llamaindex",
        _AGAINST_PLAIN,
        "Against the plain LlamaIndex pipeline (same run; above 1× the assistant is better)",
    )
    if lines:  # how much text each embeds explains the cold-ingest ratio
        lines += [
            "",
            "Passages embedded per article (assistant / plain LlamaIndex): "
            + ", ".join(
                f"{run.articles:,}: {a.embed_texts / run.articles:.1f} / {b.embed_texts / run.articles:.1f}"
                for run in result.sizes
                if (a := run.get("assistant")) and (b := run.get("llamaindex"))
            ),
        ]
    return lines


def _server(result: BenchResult) -> list[str]:
    return _ratio_table(
        result,
        "assistant-server",
        "assistant",
        _SERVER_AGAINST_EMBEDDED,
        "Chroma server against embedded Chroma (same run; above 1× the server is better)",
    )


def _ratio_table(result: BenchResult, ours: str, theirs: str, columns, title: str) -> list[str]:
    rows = [(run, run.get(ours), run.get(theirs)) for run in result.sizes]  # type: ignore[arg-type]
    rows = [(run, a, b) for run, a, b in rows if a and b]
    if not rows:
        return []
    lines = [
        "",
        f"## {title}",
        "",
        "| articles | " + " | ".join(h for h, _, _ in columns) + " |",
        "|---:|" + "---:|" * len(columns),
    ]
    for run, a, b in rows:
        # With pooled vectors a cold ingest leaves the model out: only the rest compares.
        cells = [
            "pooled"
            if f == "cold_ingest_articles_per_s" and run.vectors == "pooled"
            else _ratio(getattr(a, f), getattr(b, f), better)
            for _, f, better in columns
        ]
        lines.append(f"| {run.articles:,} | " + " | ".join(cells) + " |")
    return lines


def _targets(result: BenchResult) -> list[str]:
    lines = ["", "## Targets", "", "| articles | target | goal | measured | met |", "|---:|---|---:|---:|:---:|"]
    for t in TARGETS:
        run = next((r for r in result.sizes if r.articles == t.articles), None)
        row = run.get("assistant") if run else None
        if row is None:
            lines.append(
                f"| {t.articles:,} | {t.label} | {t.op.replace('<=', '≤').replace('>=', '≥')} {t.value:,g} "
                f"{t.unit} | not measured | |"
            )
            continue
        measured = getattr(row, t.field)
        digits = 0 if t.unit == "articles/s" and measured >= 100 else (2 if t.unit == "s" else 1)
        note = " (pooled vectors)" if run.vectors == "pooled" and "ingest" in t.field else ""
        lines.append(
            f"| {t.articles:,} | {t.label} | {t.op.replace('<=', '≤').replace('>=', '≥')} {t.value:,g} "
            f"{t.unit} | {_fmt(measured, digits)} {t.unit}{note} | {_mark(t.met(measured))} |"
        )
    for run in result.sizes:
        a, b = run.get("assistant"), run.get("llamaindex")
        if a and b and run.vectors == "model":
            speedup = a.cold_ingest_articles_per_s / b.cold_ingest_articles_per_s
            lines.append(
                f"| {run.articles:,} | cold ingest against plain LlamaIndex | ≥ {INGEST_SPEEDUP_TARGET:g}× "
                f"| {speedup:.2f}× | {_mark(speedup >= INGEST_SPEEDUP_TARGET)} |"
            )
    return lines


def _speech(result: BenchResult) -> list[str]:
    r = result.speech
    if r is None:
        return []
    lines = ["", "## Speech", "", "| engine | real-time factor (synthesis s / audio s) |", "|---|---:|"]
    for e in r.engines:
        lines.append(f"| {e.engine} | {e.rtf:.4f} |" if e.available else f"| {e.engine} | not here: {e.detail} |")
    lines += ["", "| listener waits for | p50 | max |", "|---|---:|---:|"]
    for fmt, values in r.first_audio.items():
        lines.append(
            f"| uncached article, {fmt} ({len(values)} articles) | {statistics.median(values):.2f} s "
            f"| {max(values):.2f} s |"
        )
    lines.append(
        f"| cached article ({len(r.cached_ms)} calls) | {statistics.median(r.cached_ms):.1f} ms "
        f"| {max(r.cached_ms):.1f} ms |"
    )
    for fmt, seconds in r.episode_seconds.items():
        lines.append(f"| 10-article episode, uncached, {fmt} | {seconds:.1f} s | |")
    return lines


def _how(result: BenchResult) -> list[str]:
    cpus = result.machine.cpus
    return [
        "",
        "## How it was measured",
        "",
        "- Each system at each size runs in a fresh Python process with its own temporary home, one after another.",
        "- Cold ingest: wall time from reading the corpus file to a searchable index (the assistant: `Assistant.ingest`, "
        "keyword index included; LlamaIndex: parse, `Document`s, `VectorStoreIndex.from_documents`). 'Without making "
        "vectors' takes out the time inside the passage-vector source.",
        "- The Chroma server run replays the embedded run's passage vectors (`vectors: replayed`): its cold ingest is "
        "the write path only. Its disk and RSS add the server's data folder and the server process's peak (VmHWM).",
        "- Unchanged re-ingest: the same file again; the assistant compares content hashes, LlamaIndex uses "
        "`refresh_ref_docs` (its document hashes).",
        "- Search: `Assistant.search` (hybrid: vector + BM25, fused) against `retriever.retrieve` (vector only, "
        "brute force over an in-memory list; capped at "
        "5,000,000 question × article pairs, so fewer questions at 100,000). Ask: `Assistant.ask`, extractive. "
        f"Filtered search: the first {FILTERED_QUERIES} questions with one filter each in turn.",
        f"- Cold `assistant ask`: the console script in a new process (page cache warm), median of {COLD_RUNS}, timed "
        "by a launcher that reaps it with `wait4` so its RSS is its own.",
        "- Peak RSS: `ru_maxrss` of the measuring process. Disk: allocated blocks (like `du`); LlamaIndex: "
        "`storage_context.persist()`.",
        f"- The machine has {cpus} CPUs and the benchmark alone keeps them busy (1-minute load near {cpus}); a load "
        f"well above {cpus} means other work competed. Repeated runs differ by about ±15% in latencies; only ratios "
        "from one run are compared.",
    ]
