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
    quoted_answer: bool | None = Field(None, description="A gold answer sentence is quoted (None: no gold sentences).")
    baseline_quoted_answer: bool | None = None
    cited_weeks: list[int | None] = Field(default_factory=list, description="Weeks of the citations, in order.")


class BaselineReport(BaseModel):
    """The plain LlamaIndex pipeline (evals/baseline.py) on the same questions."""

    hit_at_1: float
    hit_at_5: float
    mrr_at_10: float
    ndcg_at_10: float
    search_ms: float = Field(description="Mean retrieval time per question.")
    answer_sentence_recall: float = Field(
        0.0, description="Its top chunk's two sentences most similar to the question include a gold answer sentence."
    )


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
    answer_sentence_recall: float = Field(
        0.0, description="Answerable questions whose answer quotes a gold answer sentence (a refusal counts as a miss)."
    )
    near_topic_refusal_rate: float = Field(0.0, description="Near-topic unanswerable questions declined.")
    far_off_refusal_rate: float = Field(0.0, description="Far-off unanswerable questions declined.")
    followup_accuracy: float = Field(
        0.0, description="Focus-changing follow-ups whose answer cites the article first and quotes a gold sentence."
    )
    time_order_correct: float = Field(
        0.0,
        description="Questions over time answered in week order, from at least two issues, mostly from expected articles.",
    )
    search_ms: float = Field(0.0, description="Mean search time per question.")
    baseline: BaselineReport | None = None
    results: list[QuestionResult]
