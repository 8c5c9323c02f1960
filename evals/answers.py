"""`assistant eval --answer-mode llm|extractive`: how often answers' citations all verify, how
often a generated answer falls back to quotes, and how long answers take, on the gold questions.

Both modes go through the same checker (``CitationVerifier``): a generated answer as it was
checked when it was made; an extractive answer by checking each quoted sentence against the
article it cites (true by construction, so this measures the checker as much as the answer).
"""

from __future__ import annotations

import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from statistics import mean, median
from typing import Literal

from pydantic import BaseModel, Field

from assistant import Assistant, Settings
from assistant.chroma_server import free_port
from assistant.models import Answer, Verification
from assistant.streaming import final_answer
from evals.quality import GoldQuestion, Split, load_gold
from index import ingest

Mode = Literal["llm", "extractive"]


class AnswerResult(BaseModel):
    id: str
    mode: str = Field(description="The mode of the final answer (extractive after a fallback).")
    found: bool
    all_verified: bool
    fell_back: bool
    supported_share: float = Field(description="Share of the generated sentences that held up (0 without a model).")
    seconds: float
    first_piece_seconds: float
    notice: str | None = None


class AnswerCheck(BaseModel):
    split: str
    asked_mode: str
    model: str | None
    questions: int
    answered: int = Field(description="Answers with citations.")
    reached_model: int = Field(description="Answered questions sent to the model (past the relevance gate).")
    all_verified_share: float = Field(
        description="Of the answers with citations as the user gets them (fallbacks included): every citation verified."
    )
    model_all_verified_share: float = Field(
        description="Of the questions sent to the model: its answer kept, with every sentence supported and no bad marker."
    )
    model_kept_share: float = Field(
        description="Of the questions sent to the model: its answer kept (some sentences maybe left out)."
    )
    fallback_rate: float = Field(description="Of the questions sent to the model: answered by quotes instead.")
    supported_share_mean: float = Field(description="Of the questions sent to the model: its sentences that held up.")
    seconds_p50: float
    seconds_mean: float
    first_piece_p50: float
    results: list[AnswerResult]


def check_answers(assistant: Assistant, questions: list[GoldQuestion], split: str = "report") -> AnswerCheck:
    from assistant.verify import CitationVerifier

    verifier = CitationVerifier(assistant.embedder, assistant.settings.llm.support)
    results = []
    for q in questions:
        filters = None if q.filters.is_empty() else q.filters
        started = time.monotonic()
        arrivals: list[float] = []  # monotonic times of the text pieces
        answer = final_answer(
            assistant.ask_stream(q.question, history=q.history, filters=filters),
            lambda _: arrivals.append(time.monotonic()),  # noqa: B023  (called within this iteration)
        )
        first = (arrivals[0] if arrivals else time.monotonic()) - started
        seconds = time.monotonic() - started
        model_check = answer.verification  # the generated answer's check, kept on a fallback too
        final_check = _check_quotes(answer, assistant, verifier) if answer.mode == "extractive" else model_check
        fell_back = bool(
            answer.mode == "extractive" and answer.notice and assistant.settings.answers.mode != "extractive"
        )
        results.append(
            AnswerResult(
                id=q.id,
                mode=answer.mode,
                found=answer.found,
                all_verified=bool(answer.citations and final_check and final_check.all_verified),
                fell_back=fell_back,
                supported_share=round(model_check.supported_share if model_check else 0.0, 4),
                seconds=round(seconds, 3),
                first_piece_seconds=round(first or 0.0, 3),
                notice=answer.notice,
            )
        )
    answered = [r for r in results if r.found]
    reached = [r for r in answered if r.mode == "llm" or r.fell_back]
    return AnswerCheck(
        split=split,
        asked_mode=assistant.settings.answers.mode,
        model=assistant.settings.llm.model,
        questions=len(results),
        answered=len(answered),
        reached_model=len(reached),
        all_verified_share=_avg(float(r.all_verified) for r in answered),
        model_all_verified_share=_avg(float(r.mode == "llm" and r.all_verified) for r in reached),
        model_kept_share=_avg(float(r.mode == "llm") for r in reached),
        fallback_rate=_avg(float(r.fell_back) for r in reached),
        supported_share_mean=_avg(r.supported_share for r in reached),
        seconds_p50=round(median([r.seconds for r in results]), 3) if results else 0.0,
        seconds_mean=_avg(r.seconds for r in results),
        first_piece_p50=round(median([r.first_piece_seconds for r in results]), 3) if results else 0.0,
        results=results,
    )


def _check_quotes(answer: Answer, assistant: Assistant, verifier) -> Verification:
    """Each quoted sentence, cited, checked against its whole article like a generated one."""
    from assistant.prompt import Source
    from assistant.sentences import split_sentences

    if not answer.citations:
        return Verification()
    sources = []
    claims = []
    for c in answer.citations:
        article = assistant.show(c.article_id)
        sentences = [s for block in (*article.takeaways, *article.summary) for s in split_sentences(block)]
        sources.append(Source(c.n, article, sentences))
        claims.extend(f"{quote} [{c.n}]" for quote in c.quote.split(" … "))
    return verifier.verify(" ".join(claims), sources).verification


def run_answer_check(
    split: Split = "report",
    settings: Settings | None = None,
    mode: Mode = "llm",
    limit: int | None = None,
    local_model: bool = False,
) -> AnswerCheck:
    """Index the sample into a throwaway home and check answers; ``local_model`` starts the
    bundled llama.cpp server for the run and points the settings at it."""
    questions = load_gold(split)[:limit] if limit else load_gold(split)
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as home, ExitStack() as stack:
        base = settings or Settings()
        update = {"home": Path(home), "chroma_host": None, "collection": "eval", "answer_mode": mode}
        if local_model and mode == "llm":
            from assistant.local_llm import MODEL_ALIAS, LocalServer

            server = stack.enter_context(LocalServer(free_port(), log=Path(home) / "llm-server.log"))
            update |= {"llm_base_url": server.base_url, "llm_model": MODEL_ALIAS}
        with Assistant(base.replace(**update)) as assistant:
            ingest(assistant)
            return check_answers(assistant, questions, split)


def format_text(check: AnswerCheck) -> str:
    lines = [
        f"split {check.split}: {check.questions} questions, answers asked in {check.asked_mode} mode"
        + (f" (model {check.model})" if check.asked_mode == "llm" else ""),
        f"  answered with citations {check.answered} · final answers with all citations verified"
        f" {check.all_verified_share:.1%}",
        f"  sent to the model {check.reached_model} · its answer kept {check.model_kept_share:.1%}"
        f" · kept with all citations verified {check.model_all_verified_share:.1%}"
        f" · fallback to quotes {check.fallback_rate:.1%} · its sentences supported {check.supported_share_mean:.1%}",
        f"  seconds per answer p50 {check.seconds_p50:.2f} (mean {check.seconds_mean:.2f})"
        f" · first streamed piece p50 {check.first_piece_p50:.2f}",
    ]
    for r in check.results:
        if r.notice:
            lines.append(f"    {r.id}: {r.notice}")
    return "\n".join(lines)


def _avg(values) -> float:
    values = list(values)
    return round(mean(values), 4) if values else 0.0
