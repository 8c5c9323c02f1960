"""PNG plots for the reports in evals/results/: latency and ingest against corpus size, and
quality bars of the assistant against the plain LlamaIndex pipeline.

matplotlib is not a dependency of the product: it comes with the evals extra
(``pip install '.[evals]'``); ``require_matplotlib`` says so in one line when it is missing.
"""

from __future__ import annotations

from pathlib import Path

from assistant.errors import AssistantError
from evals.bench_results import TARGETS, BenchResult
from evals.quality_results import QualityReport

COLORS = {"assistant": "#1f6feb", "assistant-server": "#8250df", "llamaindex": "#cf6e27"}
LABELS = {
    "assistant": "assistant (embedded Chroma)",
    "assistant-server": "assistant (Chroma server)",
    "llamaindex": "plain LlamaIndex",
}
INSTALL_HINT = "pip install '.[evals]'"


class PlotsUnavailable(AssistantError):
    """matplotlib is not installed."""


def require_matplotlib() -> None:
    """Raise PlotsUnavailable (one line, with the install command) unless matplotlib imports."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PlotsUnavailable(f"the PNG plots need matplotlib, which is not installed: {INSTALL_HINT}") from None


def _pyplot():
    require_matplotlib()
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    return plt


def scale_plot(result: BenchResult, path: Path) -> Path:
    """Search p50/p95 (log scale) and ingest speed against corpus size, one line per system."""
    plt = _pyplot()
    fig, (lat, ing) = plt.subplots(1, 2, figsize=(12, 4.8))
    sizes = [run.articles for run in result.sizes]
    systems = [s for s in COLORS if any(run.get(s) for run in result.sizes)]  # type: ignore[arg-type]
    for system in systems:
        points = [(run.articles, run.get(system)) for run in result.sizes if run.get(system)]  # type: ignore[arg-type]
        xs = [n for n, _ in points]
        color = COLORS[system]
        lat.plot(xs, [r.search_p50_ms for _, r in points], "o-", color=color, label=f"{LABELS[system]} p50")
        lat.plot(xs, [r.search_p95_ms for _, r in points], "s--", color=color, alpha=0.6, label=f"{LABELS[system]} p95")
        ing.plot(
            xs, [r.cold_ingest_articles_per_s for _, r in points], "o-", color=color, label=f"{LABELS[system]}: cold"
        )
        ing.plot(
            xs,
            [r.index_articles_per_s for _, r in points],
            "^:",
            color=color,
            alpha=0.7,
            label=f"{LABELS[system]}: without making vectors",
        )
    for t in TARGETS:
        if t.field == "search_p95_ms" and t.articles in sizes:
            lat.plot([t.articles], [t.value], marker="_", markersize=24, color="#d1242f")
    lat.plot([], [], marker="_", linestyle="none", markersize=16, color="#d1242f", label="p95 target")
    for ax, title, unit in ((lat, "Search latency", "ms (log)"), (ing, "Ingest speed", "articles/s (log)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(sizes, [f"{n // 1000}k" if n >= 1000 else str(n) for n in sizes])
        ax.minorticks_off()
        ax.set_xlabel("corpus size (articles)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    pooled = [run.articles for run in result.sizes if run.vectors == "pooled"]
    note = f"{result.machine.cpus} CPUs, {result.date[:10]}"
    if pooled:
        note += f"; from {min(pooled):,} articles passage vectors are pooled, not embedded (evals/vectors.py)"
    fig.suptitle(note, fontsize=8, y=0.02)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def quality_plot(report: QualityReport, path: Path) -> Path:
    """Grouped bars: retrieval metrics of the assistant and the plain pipeline, plus the assistant's answer checks."""
    plt = _pyplot()
    ours, theirs = report, report.baseline
    names = ["hit@1", "hit@5", "MRR@10", "nDCG@10"]
    fields = ["hit_at_1", "hit_at_5", "mrr_at_10", "ndcg_at_10"]
    fig, (ret, ans) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [4, 5]})
    xs = range(len(names))
    ret.bar(
        [x - 0.2 for x in xs], [getattr(ours, f) for f in fields], 0.4, color=COLORS["assistant"], label="assistant"
    )
    if theirs is not None:
        ret.bar(
            [x + 0.2 for x in xs],
            [getattr(theirs, f) for f in fields],
            0.4,
            color=COLORS["llamaindex"],
            label="plain LlamaIndex",
        )
    ret.set_xticks(list(xs), names)
    ret.set_ylim(0, 1.05)
    ret.set_title(f"Retrieval, {report.split} split ({ours.answerable} answerable questions)")
    ret.legend(loc="lower right")
    checks = {
        "citation\nprecision": ours.citation_precision,
        "citation\nrecall": ours.citation_recall,
        "faithful": ours.faithfulness,
        "answered\n(answerable)": ours.answered_rate,
        "refused\n(near-topic)": ours.near_topic_refusal_rate,
        "refused\n(far-off)": ours.far_off_refusal_rate,
        "answer\nsentence\nrecall": ours.answer_sentence_recall,
        "follow-ups": ours.followup_accuracy,
        "time\norder": ours.time_order_correct,
    }
    ans.bar(range(len(checks)), list(checks.values()), 0.6, color=COLORS["assistant"])
    ans.set_xticks(range(len(checks)), list(checks), fontsize=7)
    ans.set_ylim(0, 1.05)
    ans.axhline(0.8, color="#d1242f", linewidth=0.8, linestyle=":")
    ans.set_title("Answers (assistant)")
    for ax in (ret, ans):
        ax.grid(True, axis="y", alpha=0.3)
        for bar in ax.patches:
            ax.annotate(
                f"{bar.get_height():.2f}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=7,
            )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
