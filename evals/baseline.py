"""The plain LlamaIndex pipeline the assistant is compared with, on the same questions:

the same articles as Documents (title, takeaways and summary, as a reader sees them), the
default ``SentenceSplitter``, an in-memory ``VectorStoreIndex`` with the same embedding model
(MiniLM int8, through a small LlamaIndex embedding adapter), and a top-5 retriever. No keyword
search, no filters, no relevance gate: what a first LlamaIndex prototype would do."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from assistant.models import Article

if TYPE_CHECKING:
    from llama_index.core import VectorStoreIndex

    from evals.vectors import Vectors

TOP_K = 5


def _embedding_model(embedder: Vectors):
    """The assistant's own embedder, so the comparison is about the pipeline, not the model."""
    from assistant.llamaindex import MiniLMEmbedding

    return MiniLMEmbedding(embedder)  # type: ignore[arg-type]  (Vectors: embed and embed_query suffice)


def document_text(article: Article) -> str:
    parts = [article.title, *article.takeaways, *article.summary]
    return "\n\n".join(p for p in parts if p)


def documents(articles: Sequence[Article]) -> list:
    from llama_index.core import Document

    return [Document(text=document_text(a), doc_id=a.id, metadata={"article_id": a.id}) for a in articles]


def build_index(articles: Sequence[Article], embedder: Vectors) -> VectorStoreIndex:
    from llama_index.core import VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    return VectorStoreIndex.from_documents(
        documents(articles), embed_model=_embedding_model(embedder), transformations=[SentenceSplitter()]
    )


def ranked_articles(index: VectorStoreIndex, question: str, top_k: int = TOP_K) -> list[str]:
    """Article ids in the order their best chunk was retrieved (duplicates dropped)."""
    nodes = index.as_retriever(similarity_top_k=top_k).retrieve(question)
    ranked: list[str] = []
    for node in nodes:
        article_id = node.node.metadata["article_id"]
        if article_id not in ranked:
            ranked.append(article_id)
    return ranked


def top_sentences(index: VectorStoreIndex, question: str, embedder: Vectors, n: int = 2) -> list[str]:
    """What a plain pipeline would quote: the ``n`` sentences of its top chunk nearest the question."""
    from assistant.sentences import split_sentences

    nodes = index.as_retriever(similarity_top_k=1).retrieve(question)
    if not nodes:
        return []
    sentences = split_sentences(nodes[0].node.get_content())
    if not sentences:
        return []
    scores = embedder.embed(sentences) @ embedder.embed_query(question)
    best = sorted(range(len(sentences)), key=lambda i: -float(scores[i]))[:n]
    return [sentences[i] for i in sorted(best)]
