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
from assistant.quoting import quotable
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
    answer_sentences: list[str] = Field(
        default_factory=list, description="Verbatim sentences of an expected article that a careful person would quote."
    )
    first_answer_sentences: list[str] = Field(
        default_factory=list, description="Follow-ups: the sentences that answered the question before it."
    )
    absent: list[str] = Field(default_factory=list, description="Unanswerable: what the digest does not mention.")
    absent_scope: str | None = Field(None, description="The one article an 'absent' check was limited to.")


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
        baseline_quote = ""
        if baseline is not None:
            from evals.baseline import ranked_articles, top_sentences

            started = time.perf_counter()
            baseline_ranked = ranked_articles(baseline, q.question)  # as asked: a plain pipeline has no history
            baseline_seconds += time.perf_counter() - started
            baseline_quote = " ".join(top_sentences(baseline, q.question, assistant.embedder))
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
                quoted_answer=quotes_gold(" ".join(c.quote for c in answer.citations), q.answer_sentences),
                baseline_quoted_answer=quotes_gold(baseline_quote, q.answer_sentences)
                if baseline is not None
                else None,
                cited_weeks=[c.week for c in answer.citations],
            )
        )
    answerable = [r for r in results if r.expected]
    unanswerable = [r for r in results if not r.expected]
    with_gold = [r for r in answerable if r.quoted_answer is not None]
    followups = [r for r in results if r.kind == "followup-focus"]
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
        answer_sentence_recall=_avg(float(bool(r.quoted_answer)) for r in with_gold),
        near_topic_refusal_rate=_avg(float(not r.found) for r in unanswerable if r.kind == "near-topic"),
        far_off_refusal_rate=_avg(float(not r.found) for r in unanswerable if r.kind == "far-off"),
        followup_accuracy=_avg(float(r.cited[:1] == r.expected[:1] and bool(r.quoted_answer)) for r in followups),
        time_order_correct=_avg(float(time_ordered(r)) for r in results if r.kind == "time"),
        search_ms=round(1000 * search_seconds / n, 2),
        baseline=None
        if baseline is None
        else BaselineReport(
            hit_at_1=_avg(hit_at(r.baseline_ranked, set(r.expected), 1) for r in answerable),
            hit_at_5=_avg(hit_at(r.baseline_ranked, set(r.expected), 5) for r in answerable),
            mrr_at_10=_avg(reciprocal_rank(r.baseline_ranked, set(r.expected), 10) for r in answerable),
            ndcg_at_10=_avg(ndcg(r.baseline_ranked, set(r.expected), 10) for r in answerable),
            search_ms=round(1000 * baseline_seconds / n, 2),
            answer_sentence_recall=_avg(float(bool(r.baseline_quoted_answer)) for r in with_gold),
        ),
        results=results,
    )


def quotes_gold(quoted: str, gold: list[str]) -> bool | None:
    """Whether a gold answer sentence appears in the quoted text (list bullets and spacing ignored)."""
    if not gold:
        return None
    text = _squash(quoted)
    return any(_squash(quotable(g)) in text for g in gold)


def time_ordered(r: QuestionResult) -> bool:
    """An answer over time: found, cited in week order, from two issues or more, mostly expected articles."""
    weeks = [w for w in r.cited_weeks if w is not None]
    on_topic = sum(c in r.expected for c in r.cited)
    return r.found and weeks == sorted(weeks) and len(set(weeks)) >= 2 and on_topic >= max(2, len(r.cited) / 2)


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
        "",
        row("answer-sentence recall", report.answer_sentence_recall, b and b.answer_sentence_recall),
        row("refused: near-topic", report.near_topic_refusal_rate, 0.0 if b else None),
        row("refused: far-off", report.far_off_refusal_rate, 0.0 if b else None),
        row("answered: answerable", report.answered_rate, 1.0 if b else None),
        row("follow-up accuracy", report.followup_accuracy, None),
        row("time-order correct", report.time_order_correct, None),
        "  (plain LlamaIndex quotes the two sentences of its top chunk nearest the question; it never refuses)",
    ]
    misses = [
        r
        for r in report.results
        if (r.expected and not set(r.ranked[:1]) & set(r.expected))
        or (not r.expected and r.found)
        or (r.expected and not r.found)
        or r.quoted_answer is False
        or (r.kind == "time" and not time_ordered(r))
    ]
    if misses:
        lines.append("  misses (expected → ranked first / cited; 'no gold quote': the answer quotes no gold sentence):")
        for r in misses:
            why = " no gold quote" if r.quoted_answer is False and r.found else ""
            why += " refused" if r.expected and not r.found else ""
            why += " out of order" if r.kind == "time" and r.found and not time_ordered(r) else ""
            lines.append(f"    {r.id} [{r.kind}] {r.expected[:1] or '(refuse)'} → {r.ranked[:1]} / {r.cited}{why}")
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
