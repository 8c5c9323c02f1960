"""`assistant eval`: retrieval and answer quality on the gold questions over the sample digest.

The gold set is split: thresholds are tuned on ``tune`` and figures are reported on
``report``, so the reported numbers were not fitted to their own questions.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from statistics import mean
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from assistant import Assistant, Settings
from assistant.models import Answer, Article, SearchFilters
from evals.metrics import hit_at, ndcg, reciprocal_rank
from evals.plots import quality_plot
from evals.quality_results import BaselineReport, QualityReport, QuestionResult
from index import ingest

if TYPE_CHECKING:
    from llama_index.core import VectorStoreIndex

GOLD = Path(__file__).parent / "gold.jsonl"
Split = Literal["tune", "report", "all"]


class GoldQuestion(BaseModel):
    id: str
    question: str
    expected: list[str]
    kind: str
    split: str
    filters: SearchFilters = Field(default_factory=SearchFilters)
    history: list[str] = Field(default_factory=list)


def load_gold(split: Split = "report", path: Path = GOLD) -> list[GoldQuestion]:
    questions = [GoldQuestion.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]
    return [q for q in questions if split == "all" or q.split == split]


def evaluate(
    assistant: Assistant, questions: list[GoldQuestion], split: str = "report", baseline: VectorStoreIndex | None = None
) -> QualityReport:
    """Search and ask every question; with ``baseline``, rank them with the plain pipeline too."""
    from assistant.conversation import standalone_question

    articles = {a.id: a for a in assistant.store.all_articles()}
    results, search_seconds, baseline_seconds = [], 0.0, 0.0
    for q in questions:
        query = standalone_question(q.question, q.history)
        filters = None if q.filters.is_empty() else q.filters
        started = time.perf_counter()
        ranked = [h.article.id for h in assistant.search(query, filters, top_k=10)]
        search_seconds += time.perf_counter() - started
        answer = assistant.ask(q.question, history=q.history, filters=filters)
        baseline_ranked: list[str] = []
        if baseline is not None:
            from evals.baseline import ranked_articles

            started = time.perf_counter()
            baseline_ranked = ranked_articles(baseline, q.question)  # as asked: a plain pipeline has no history
            baseline_seconds += time.perf_counter() - started
        results.append(
            QuestionResult(
                id=q.id,
                kind=q.kind,
                ranked=ranked,
                cited=[c.article_id for c in answer.citations],
                found=answer.found,
                expected=q.expected,
                faithful=_faithful(answer, articles),
                baseline_ranked=baseline_ranked,
            )
        )
    answerable = [r for r in results if r.expected]
    unanswerable = [r for r in results if not r.expected]
    cited = [c in r.expected for r in answerable for c in r.cited]
    n = max(len(results), 1)
    return QualityReport(
        split=split,
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        hit_at_1=_avg(hit_at(r.ranked, set(r.expected), 1) for r in answerable),
        hit_at_5=_avg(hit_at(r.ranked, set(r.expected), 5) for r in answerable),
        mrr_at_10=_avg(reciprocal_rank(r.ranked, set(r.expected), 10) for r in answerable),
        ndcg_at_10=_avg(ndcg(r.ranked, set(r.expected), 10) for r in answerable),
        answered_rate=_avg(float(r.found) for r in answerable),
        refusal_rate=_avg(float(not r.found) for r in unanswerable),
        citation_precision=_avg(float(c) for c in cited),
        citation_recall=_avg(len(set(r.cited) & set(r.expected)) / len(r.expected) for r in answerable),
        faithfulness=_avg(float(r.faithful) for r in results if r.cited),
        search_ms=round(1000 * search_seconds / n, 2),
        baseline=None
        if baseline is None
        else BaselineReport(
            hit_at_1=_avg(hit_at(r.baseline_ranked, set(r.expected), 1) for r in answerable),
            hit_at_5=_avg(hit_at(r.baseline_ranked, set(r.expected), 5) for r in answerable),
            mrr_at_10=_avg(reciprocal_rank(r.baseline_ranked, set(r.expected), 10) for r in answerable),
            ndcg_at_10=_avg(ndcg(r.baseline_ranked, set(r.expected), 10) for r in answerable),
            search_ms=round(1000 * baseline_seconds / n, 2),
        ),
        results=results,
    )


def _faithful(answer: Answer, articles: dict[str, Article]) -> bool:
    """Extractive answers: each quoted sentence appears verbatim in the cited article.
    Generated answers: the citation check (verification) passed."""
    if answer.mode == "llm":
        return bool(answer.verification and answer.verification.all_verified)
    for citation in answer.citations:
        article = articles.get(citation.article_id)
        if article is None:
            return False
        source = _squash(" ".join([article.title, *article.takeaways, *article.summary]))
        for piece in citation.quote.split("…"):
            if piece.strip() and _squash(piece) not in source:
                return False
    return True


def _squash(text: str) -> str:
    return " ".join(text.split())


def run_on_sample(split: Split = "report", settings: Settings | None = None, baseline: bool = True) -> QualityReport:
    """Index the bundled sample into a throwaway home and evaluate on it (and the baseline on the
    same articles, with the same embedding model)."""
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as home:
        base = settings or Settings()
        settings = base.replace(**{"home": Path(home), "chroma_host": None, "collection": "eval"})
        with Assistant(settings) as assistant:
            ingest(assistant)
            index = None
            if baseline:
                from evals.baseline import build_index

                index = build_index(assistant.store.all_articles(), assistant.embedder)
            return evaluate(assistant, load_gold(split), split, index)


def format_text(report: QualityReport) -> str:
    lines = [
        f"split {report.split}: {report.questions} questions ({report.answerable} answerable, "
        f"{report.unanswerable} unanswerable)",
        "",
        f"  {'':<28}{'assistant':>12}{'plain LlamaIndex':>18}",
    ]
    b = report.baseline

    def row(label: str, ours: float, theirs: float | None, fmt: str = "{:.3f}") -> str:
        other = fmt.format(theirs) if theirs is not None else "—"
        return f"  {label:<28}{fmt.format(ours):>12}{other:>18}"

    lines += [
        row("hit@1", report.hit_at_1, b and b.hit_at_1),
        row("hit@5", report.hit_at_5, b and b.hit_at_5),
        row("MRR@10", report.mrr_at_10, b and b.mrr_at_10),
        row("nDCG@10", report.ndcg_at_10, b and b.ndcg_at_10),
        row("search ms / question", report.search_ms, b and b.search_ms, "{:.1f}"),
        "",
        f"  answered {report.answered_rate:.1%} of answerable · refused {report.refusal_rate:.1%} of unanswerable"
        f" (the plain pipeline has no relevance gate: it answers everything)",
        f"  citations: precision {report.citation_precision:.1%} · recall {report.citation_recall:.1%}"
        f" · faithful answers {report.faithfulness:.1%}",
    ]
    misses = [
        r
        for r in report.results
        if (r.expected and not set(r.ranked[:1]) & set(r.expected)) or (not r.expected and r.found)
    ]
    if misses:
        lines.append("  misses (expected → ranked first / cited):")
        for r in misses:
            lines.append(f"    {r.id} [{r.kind}] {r.expected[:1] or '(refuse)'} → {r.ranked[:1]} / {r.cited}")
    return "\n".join(lines)


def save(report: QualityReport, out: Path) -> list[Path]:
    """The report as Markdown, the numbers as JSON, and quality bars as PNG, side by side (the
    PNG needs matplotlib, from the evals extra: see ``evals.plots.require_matplotlib``)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    image = quality_plot(report, out.with_name(out.stem + ".png"))
    out.write_text(
        f"# Quality on the gold questions ({report.split} split)\n\n"
        f"Re-run: `assistant eval --split {report.split} --out {out.as_posix()}`. The gold set is "
        "`evals/gold.jsonl`; thresholds were tuned on the `tune` split only.\n\n"
        f"![quality bars]({image.name})\n\n```\n{format_text(report)}\n```\n",
        encoding="utf-8",
    )
    out.with_suffix(".json").write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return [out, out.with_suffix(".json"), image]


def _avg(values) -> float:
    values = list(values)
    return round(mean(values), 4) if values else 0.0


if __name__ == "__main__":  # one command line: `python -m evals.quality [SPLIT] ARGS` is `assistant eval ...`
    import sys

    from evals.bench_support import run_assistant_command

    args = sys.argv[1:]
    if args and not args[0].startswith("-"):
        args = ["--split", *args]  # the old positional split
    run_assistant_command("eval", *args)
