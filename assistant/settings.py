"""The one settings object. Built once by a channel and passed in; never global."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the assistant. Each field reads ``ASSISTANT_<NAME>`` or ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage -------------------------------------------------------------
    home: Path = Field(Path("data"), description="Folder for the embedded Chroma store, keyword index and caches.")
    collection: str = Field("digest", description="Prefix of the Chroma collections (articles, passages, state).")
    chroma_host: str | None = Field(None, description="Chroma server host. Unset: embedded PersistentClient under home.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_ssl: bool = Field(False, description="Use https to reach the Chroma server.")

    # --- embeddings & passages -----------------------------------------------
    embed_batch_size: int = Field(16, ge=1, le=256, description="Passages per embedding batch.")
    embed_threads: int = Field(2, ge=1, le=64, description="onnxruntime intra-op threads.")
    passage_words: int = Field(110, ge=30, le=400, description="Target words per summary passage.")

    # --- retrieval -------------------------------------------------------------
    top_k: int = Field(5, ge=1, le=100, description="Articles returned by search and used by ask.")
    candidates: int = Field(40, ge=5, le=500, description="Passages fetched from each retriever before fusion.")
    keyword_refresh_seconds: float = Field(
        2.0, ge=0, description="How often a process checks whether another writer changed the index."
    )

    # --- answers ---------------------------------------------------------------
    min_relevance: float = Field(
        0.35, description="Evidence score (0..1) below which ask says the digest has nothing on it. Tuned in evals/."
    )
    answer_sentences: int = Field(4, ge=1, le=12, description="Sentences quoted by the extractive answer.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")

    # --- reading sources -------------------------------------------------------
    max_source_bytes: int = Field(5_000_000, ge=1_000, description="Largest single file or download accepted.")
    http_timeout: float = Field(20.0, gt=0, description="Seconds per HTTP request.")
    http_retries: int = Field(3, ge=0, le=10, description="Retries of a failed HTTP request (with backoff).")
    http_delay: float = Field(1.0, ge=0, description="Polite pause between requests to the same site.")
    http_max_pages: int = Field(200, ge=1, description="Most WordPress REST pages read from one site.")
    user_agent: str = Field("informedi-assistant/0.1 (+digest reader)", description="User-Agent for HTTP reads.")

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.home / "keyword"
