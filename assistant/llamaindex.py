"""The digest as LlamaIndex objects: a retriever, a query engine, a chat engine and the
embedding model. ``Assistant.as_retriever`` / ``as_query_engine`` / ``as_chat_engine`` are the
way in; this module imports ``llama_index``, so only they import it (a cold ``assistant ask``
never pays for it).

The retriever wraps ``Assistant.search`` (hybrid dense + BM25 search, the filters, the article
re-ranking) rather than LlamaIndex's own fusion retriever, which re-scores hits by rank and would
lose the evidence score the relevance gate reads. Its nodes carry the same metadata plain
LlamaIndex reads from the stored passages (``assistant/nodes.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llama_index.core import Settings as LlamaSettings
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms import LLM
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
from pydantic import PrivateAttr

from assistant.errors import LanguageModelNotConfigured
from assistant.models import Hit, SearchFilters
from assistant.nodes import HIDDEN_FROM_LLM, node_metadata
from assistant.ports import Embedder

if TYPE_CHECKING:
    from llama_index.core.chat_engine import CondensePlusContextChatEngine
    from llama_index.core.query_engine import RetrieverQueryEngine

    from assistant.facade import Assistant


class DigestRetriever(BaseRetriever):
    """The digest's hybrid search as a LlamaIndex retriever.

    One ``NodeWithScore`` per matched passage, best article first; the score is the article's
    evidence score (0..1, what the relevance gate reads), the metadata are the article's, and
    the article is the node's SOURCE (``node.ref_doc_id`` is the article id). A question whose
    best article is below ``min_relevance`` gets no nodes, so an engine says it has no context
    rather than answering from weak matches. ``per_article=True`` gives one node per article
    (its matched passages joined; the node id is the article id), which is what article-level
    evaluation (``RetrieverEvaluator`` with article ids) expects.
    """

    def __init__(
        self,
        assistant: Assistant,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        min_relevance: float | None = None,
        per_article: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._assistant = assistant
        self._top_k = top_k
        self._filters = filters
        self._min_relevance = assistant.settings.answers.min_relevance if min_relevance is None else min_relevance
        self._per_article = per_article

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._assistant.search(query_bundle.query_str, self._filters, self._top_k)
        hits = [h for h in hits if h.score >= self._min_relevance]
        if self._per_article:
            return [NodeWithScore(node=_article_node(h), score=h.score) for h in hits]
        return [NodeWithScore(node=_passage_node(h, i), score=h.score) for h in hits for i in range(len(h.passages))]


def _passage_node(hit: Hit, i: int) -> TextNode:
    passage = hit.passages[i]
    return _node(hit, passage.passage_id, passage.text)


def _article_node(hit: Hit) -> TextNode:
    return _node(hit, hit.article.id, "\n\n".join(p.text for p in hit.passages))


def _node(hit: Hit, node_id: str, text: str) -> TextNode:
    metadata = node_metadata(hit.article)
    return TextNode(
        id_=node_id,
        text=text,
        metadata=metadata,
        excluded_llm_metadata_keys=list(HIDDEN_FROM_LLM),
        excluded_embed_metadata_keys=list(metadata),
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=hit.article.id)},
    )


class MiniLMEmbedding(BaseEmbedding):
    """The index's embedding model as a LlamaIndex embedding: a LlamaIndex pipeline (a
    ``VectorStoreIndex`` over the stored passages, say) embeds queries exactly as the index did."""

    _embedder: Embedder = PrivateAttr()

    def __init__(self, embedder: Embedder | None = None, **kwargs: Any) -> None:
        from assistant.embedding import MiniLMEmbedder

        embedder = embedder or MiniLMEmbedder()
        kwargs.setdefault("model_name", getattr(embedder, "model_id", "all-MiniLM-L6-v2"))
        kwargs.setdefault("embed_batch_size", 64)
        super().__init__(**kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "InformediMiniLMEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(texts).tolist()


def choose_llm(assistant: Assistant, llm: LLM | None) -> LLM:
    """The model an engine answers with: the one given, else LlamaIndex's ``Settings.llm`` when
    the user set one, else the endpoint this assistant is configured with."""
    if llm is not None:
        return llm
    # Settings.llm would build OpenAI() with no key when unset; whether it was set is this field.
    if LlamaSettings._llm is not None:
        return LlamaSettings.llm
    model = assistant.llm
    if not getattr(model, "configured", False):
        raise LanguageModelNotConfigured()
    return model.llama_index_llm()  # type: ignore[attr-defined]


def query_engine(
    assistant: Assistant, retriever: DigestRetriever, llm: LLM | None, **kwargs: Any
) -> RetrieverQueryEngine:
    from llama_index.core.query_engine import RetrieverQueryEngine

    return RetrieverQueryEngine.from_args(retriever, llm=choose_llm(assistant, llm), **kwargs)


def chat_engine(
    assistant: Assistant, retriever: DigestRetriever, llm: LLM | None, **kwargs: Any
) -> CondensePlusContextChatEngine:
    from llama_index.core.chat_engine import CondensePlusContextChatEngine

    return CondensePlusContextChatEngine.from_defaults(retriever, llm=choose_llm(assistant, llm), **kwargs)
