"""Parts are injected through the facade's constructor: a reranker stage, a retriever, an embedder."""

from __future__ import annotations

from assistant import Assistant
from assistant.models import Hit
from assistant.ports import Embedder, Reranker, Retriever
from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION


class Reverse:
    """A stage that puts the weakest hit first, so its effect cannot be missed."""

    def __init__(self) -> None:
        self.calls = 0

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        self.calls += 1
        return list(reversed(hits))


def _sharing(sample: Assistant, **parts) -> Assistant:
    return Assistant(sample.settings, embedder=sample.embedder, store=sample.store, keywords=sample.keywords, **parts)


def test_shipped_parts_satisfy_their_ports(sample_assistant):
    assert isinstance(sample_assistant.embedder, Embedder)
    assert isinstance(sample_assistant.retriever, Retriever)
    assert isinstance(Reverse(), Reranker)


def test_a_reranker_stage_reorders_search_and_answers(sample_assistant):
    plain = [h.article.id for h in sample_assistant.search(SEED_QUESTION)]
    assert plain[0] == SEED_ARTICLE_ID
    stage = Reverse()
    staged = _sharing(sample_assistant, rerankers=[stage])
    assert [h.article.id for h in staged.search(SEED_QUESTION)] == list(reversed(plain))
    staged.ask(SEED_QUESTION)
    assert stage.calls == 2  # search and ask both went through the stage


def test_stages_also_follow_an_injected_retriever(sample_assistant):
    stage = Reverse()
    staged = _sharing(sample_assistant, retriever=sample_assistant.retriever, rerankers=[stage])
    plain = [h.article.id for h in sample_assistant.search(SEED_QUESTION)]
    assert [h.article.id for h in staged.search(SEED_QUESTION)] == list(reversed(plain))
    assert stage.calls == 1
