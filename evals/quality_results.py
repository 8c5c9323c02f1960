"""What `assistant eval` measures and saves (``evals/results/quality.json``): the types that the
runner (``evals.quality``) and the plots (``evals.plots``) share. It imports neither."""

from __future__ import annotations

from pydantic import BaseModel, Field


class QuestionResult(BaseModel):
    id: str
    kind: str
    ranked: list[str]
    cited: list[str]
    found: bool
    expected: list[str]
    faithful: bool = Field(True, description="Every quoted sentence is verbatim in the article it cites.")
    baseline_ranked: list[str] = Field(default_factory=list)


class BaselineReport(BaseModel):
    """The plain LlamaIndex pipeline (evals/baseline.py) on the same questions."""

    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    ndcg_at_10: float
    search_ms: float = Field(description="Mean retrieval time per question.")


class QualityReport(BaseModel):
    split: str
    questions: int
    answerable: int
    unanswerable: int
    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    ndcg_at_10: float
    answered_rate: float = Field(description="Answerable questions that got an answer with citations.")
    refusal_rate: float = Field(description="Unanswerable questions that were declined.")
    citation_precision: float = Field(description="Cited articles that are expected.")
    citation_recall: float = Field(description="Expected articles that are cited (answerable questions).")
    faithfulness: float = Field(description="Answers whose every quoted sentence is verbatim in its cited article.")
    search_ms: float = Field(0.0, description="Mean search time per question.")
    baseline: BaselineReport | None = None
    results: list[QuestionResult]
