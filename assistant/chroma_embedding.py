"""The index's embedding model as a Chroma embedding function.

The store registers it with its collections, so Chroma records it in their configuration. A
plain Chroma client that has imported this module (which registers the class with Chroma) can
then query the digest by text, embedded exactly as the index was::

    import chromadb
    import assistant.chroma_embedding  # noqa: F401  (registers "informedi-minilm-int8")

    passages = chromadb.PersistentClient("data/chroma").get_collection("digest-passages")
    passages.query(query_texts=["what impedes mastery?"], n_results=5)

Without the import, Chroma says "Embedding function informedi-minilm-int8 not found"; queries
by vector still work. The model loads on the first call, so opening a collection costs nothing.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.embedding import MiniLMEmbedder

NAME = "informedi-minilm-int8"


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    def __init__(self, threads: int = 2, embedder: MiniLMEmbedder | None = None) -> None:
        self._threads = threads
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        if self._embedder is None:
            self._embedder = MiniLMEmbedder(threads=self._threads)
        return list(self._embedder.embed(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        """Queries as the assistant embeds them (the same model; cached per text)."""
        if self._embedder is None:
            self._embedder = MiniLMEmbedder(threads=self._threads)
        return [self._embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return NAME

    def get_config(self) -> dict[str, Any]:
        return {"threads": self._threads}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(threads=int(config.get("threads", 2)))

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine"]

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        if not isinstance(config.get("threads", 2), int):
            raise ValueError("threads must be an integer")
