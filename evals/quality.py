"""`assistant eval`: retrieval and answer quality on the gold questions over the sample digest.

The gold set is split: thresholds are tuned on ``tune`` and figures are reported on
``report``, so the reported numbers were not fitted to their own questions.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from statistics import mean
from typing import Literal

from pydantic import BaseModel, Field

from assistant import Assistant, Settings
from assistant.models import SearchFilters
from evals.metrics import hit_at, reciprocal_rank

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


class QuestionResult(BaseModel):
    id: str
    kind: str
    ranked: list[str]
    cited: list[str]
    found: bool
    expected: list[str]


class QualityReport(BaseModel):
    split: str
    questions: int
    answerable: int
    unanswerable: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    answered_rate: float = Field(description="Answerable questions that got an answer with citations.")
    refusal_rate: float = Field(description="Unanswerable questions that were declined.")
    citation_precision: float
    results: list[QuestionResult]


def load_gold(split: Split = "report", path: Path = GOLD) -> list[GoldQuestion]:
    questions = [GoldQuestion.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]
    return [q for q in questions if split == "all" or q.split == split]


def evaluate(assistant: Assistant, questions: list[GoldQuestion], split: str = "report") -> QualityReport:
    from assistant.conversation import standalone_question

    results = []
    for q in questions:
        query = standalone_question(q.question, q.history)
        filters = None if q.filters.is_empty() else q.filters
        ranked = [h.article.id for h in assistant.search(query, filters, top_k=10)]
        answer = assistant.ask(q.question, history=q.history, filters=filters)
        results.append(QuestionResult(
            id=q.id, kind=q.kind, ranked=ranked, cited=[c.article_id for c in answer.citations],
            found=answer.found, expected=q.expected,
        ))
    answerable = [r for r in results if r.expected]
    unanswerable = [r for r in results if not r.expected]
    cited = [c in r.expected for r in answerable for c in r.cited]
    return QualityReport(
        split=split,
        questions=len(results),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        hit_at_1=_avg(hit_at(r.ranked, set(r.expected), 1) for r in answerable),
        hit_at_5=_avg(hit_at(r.ranked, set(r.expected), 5) for r in answerable),
        mrr_at_10=_avg(reciprocal_rank(r.ranked, set(r.expected), 10) for r in answerable),
        answered_rate=_avg(float(r.found) for r in answerable),
        refusal_rate=_avg(float(not r.found) for r in unanswerable),
        citation_precision=_avg(float(c) for c in cited),
        results=results,
    )


def run_on_sample(split: Split = "report", settings: Settings | None = None) -> QualityReport:
    """Index the bundled sample into a throwaway home and evaluate on it."""
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as home:
        base = settings or Settings()
        settings = base.model_copy(update={"home": Path(home), "chroma_host": None, "collection": "eval"})
        with Assistant(settings) as assistant:
            assistant.ingest()
            return evaluate(assistant, load_gold(split), split)


def format_text(report: QualityReport) -> str:
    lines = [
        f"split {report.split}: {report.questions} questions ({report.answerable} answerable, "
        f"{report.unanswerable} unanswerable)",
        f"  hit@1 {report.hit_at_1:.3f}   hit@5 {report.hit_at_5:.3f}   MRR@10 {report.mrr_at_10:.3f}",
        f"  answered {report.answered_rate:.1%} of answerable · refused {report.refusal_rate:.1%} of unanswerable"
        f" · citation precision {report.citation_precision:.1%}",
    ]
    misses = [r for r in report.results if (r.expected and r.ranked[:1] != r.expected[:1] and not set(r.ranked[:1]) & set(r.expected))
              or (not r.expected and r.found)]
    if misses:
        lines.append("  misses (expected → ranked first / cited):")
        for r in misses:
            lines.append(f"    {r.id} [{r.kind}] {r.expected[:1] or '(refuse)'} → {r.ranked[:1]} / {r.cited}")
    return "\n".join(lines)


def _avg(values) -> float:
    values = list(values)
    return round(mean(values), 4) if values else 0.0


if __name__ == "__main__":
    import sys

    print(format_text(run_on_sample(sys.argv[1] if len(sys.argv) > 1 else "report")))  # type: ignore[arg-type]
