"""The replaceable parts of the core, as Protocols.

``Assistant(settings, embedder=..., retriever=..., rerankers=[...], llm=..., speaker=...)``
takes any object that has these methods; what it is not given it builds from settings.
The shipped implementations: ``embedding.MiniLMEmbedder``, ``retrieval.HybridRetriever``,
``llm.OpenAICompatibleModel`` and the engines in ``speech.engines``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from assistant.models import Hit, SearchFilters
    from assistant.speech.audio import Pcm
    from assistant.speech.engines import Voice


@runtime_checkable
class Embedder(Protocol):
    """Text -> L2-normalised vectors, so a dot product is the cosine similarity."""

    model_id: str  # stored with the index: an index built by another model is refused
    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


@runtime_checkable
class Retriever(Protocol):
    """A question -> the best articles, each with the passages that matched and an evidence score."""

    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> list[Hit]: ...


@runtime_checkable
class Reranker(Protocol):
    """One post-retrieval stage: reorders (or drops) hits. Stages run in the order given."""

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str


@runtime_checkable
class LanguageModel(Protocol):
    """A chat model. ``configured`` False means none is set up: answers stay extractive."""

    @property
    def configured(self) -> bool: ...

    @property
    def name(self) -> str | None: ...

    outages: int  # times the endpoint could not be reached (so one question does not wait twice)

    def cooling_down(self) -> bool: ...

    def stream(self, messages: Sequence[Message], max_tokens: int | None = None) -> Iterator[str]: ...

    def complete(self, messages: Sequence[Message], max_tokens: int | None = None) -> str: ...


@runtime_checkable
class SpeechEngine(Protocol):
    name: str

    def problem(self) -> str | None:
        """Why the engine cannot run here, or None."""

    def voices(self) -> list[Voice]: ...

    def synthesize(self, text: str, voice: str, rate: int, timeout: float) -> Pcm: ...

    def close(self) -> None: ...


class Progress(Protocol):
    """What a long job (an ingest) reports to whoever shows progress."""

    def start(self, total: int) -> None: ...

    def advance(self, n: int = 1) -> None: ...
