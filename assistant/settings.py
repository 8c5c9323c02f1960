"""The one settings object. Built once by a channel and passed in; never global."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the assistant. Each field reads ``ASSISTANT_<NAME>`` or ``.env``."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore",
        validate_by_name=True,  # fields with an env alias (llm_api_key) still take their own name in code
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

    # --- speech ----------------------------------------------------------------
    speech_engine: Literal["pyttsx3", "espeak-ng", "piper"] = Field(
        "pyttsx3", description="Speech engine; espeak-ng is the fallback. piper needs `pip install '.[piper]'`."
    )
    speech_voice: str = Field("gmw/en-us", description="Voice id for pyttsx3/espeak-ng (see `assistant voices`).")
    speech_rate: int = Field(175, ge=80, le=450, description="Speaking rate in words per minute.")
    speech_workers: int = Field(2, ge=1, le=16, description="pyttsx3 worker processes (concurrent syntheses).")
    speech_timeout: float = Field(10.0, gt=0, description="Seconds one engine gets per part before it is retried.")
    speech_retries: int = Field(1, ge=0, le=5, description="Retries of an engine before falling back to espeak-ng.")
    speech_max_chars: int = Field(20_000, ge=100, description="Longest free text or answer turned into audio.")
    audio_cache_mb: int = Field(512, ge=1, description="Size limit of the audio cache; least recently used go first.")

    # --- web chat ----------------------------------------------------------------
    web_host: str = Field("127.0.0.1", description="Address `assistant web`/`serve` binds to (0.0.0.0 to expose it).")
    web_port: int = Field(7860, ge=1, le=65535, description="Port of the web chat and its JSON API.")
    web_auth: SecretStr | None = Field(None, description="`user:password` to require HTTP basic login on every page.")
    web_public_url: str | None = Field(
        None, description="Public base URL used in the podcast feed's links. Unset: the URL the request came to."
    )
    web_concurrency: int = Field(16, ge=1, le=256, description="Chat requests the web app handles at once.")
    web_max_request_bytes: int = Field(65_536, ge=1_024, description="Largest request body the web app accepts.")

    # --- reading sources -------------------------------------------------------
    max_source_bytes: int = Field(5_000_000, ge=1_000, description="Largest single file or download accepted.")
    http_timeout: float = Field(20.0, gt=0, description="Seconds per HTTP request.")
    http_retries: int = Field(3, ge=0, le=10, description="Retries of a failed HTTP request (with backoff).")
    http_delay: float = Field(1.0, ge=0, description="Polite pause between requests to the same site.")
    http_max_pages: int = Field(200, ge=1, description="Most WordPress REST pages read from one site.")
    user_agent: str = Field("informedi-assistant/0.1 (+digest reader)", description="User-Agent for HTTP reads.")

    # --- language model (generated answers) ---------------------------------------
    answer_mode: Literal["auto", "extractive", "llm"] = Field(
        "auto", description="auto: the language model when configured and reachable, else extractive. llm: always the model (falls back with a notice). extractive: never."
    )
    llm_model: str | None = Field(
        None, description="Model name at the endpoint, e.g. gpt-4o-mini. Unset: no language model is configured."
    )
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (llama.cpp, vLLM, Ollama). Unset: OpenAI's API."
    )
    llm_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("ASSISTANT_LLM_API_KEY", "OPENAI_API_KEY"),
        description="API key; OPENAI_API_KEY is read when this is unset. Never logged.",
    )
    llm_timeout: float = Field(30.0, gt=0, description="Seconds to connect, and to wait for each streamed piece of an answer.")
    llm_retries: int = Field(2, ge=0, le=6, description="Retries of a failed model request before the first token (backoff 0.5 s, 1 s, ...).")
    llm_cooldown: float = Field(
        60.0, ge=0, description="Seconds auto mode answers extractively after the model could not be reached."
    )
    llm_temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature of generated answers.")
    llm_max_tokens: int = Field(350, ge=16, le=4096, description="Longest generated answer, in tokens.")
    llm_context_window: int = Field(4096, ge=512, description="The model's context window, in tokens.")
    llm_sources: int = Field(4, ge=1, le=10, description="Most articles given to the model as numbered sources.")
    llm_source_words: int = Field(220, ge=40, le=2000, description="Words of each article given to the model.")
    llm_rewrite: bool = Field(True, description="Rewrite follow-up questions with the model (else deterministically).")
    llm_support: float = Field(
        0.5, ge=0, le=1, description="Cosine between a generated sentence and its cited article's best sentence for it to count as supported."
    )
    llm_min_supported: float = Field(
        0.6, ge=0, le=1, description="Share of generated sentences that must be supported; below it the extractive answer is given."
    )

    # --- telegram ----------------------------------------------------------------
    telegram_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("ASSISTANT_TELEGRAM_TOKEN", "TELEGRAM_BOT_TOKEN"),
        description="Bot token from @BotFather; TELEGRAM_BOT_TOKEN is read when this is unset. Never logged.",
    )
    telegram_base_url: str = Field(
        "https://api.telegram.org/bot", description="Bot API address (the token is appended): Telegram's, a self-hosted Bot API server, or a test stand-in."
    )
    telegram_allowed_chats: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Chat ids allowed to use the bot, comma-separated; empty: everyone."
    )
    telegram_rate_per_minute: float = Field(12.0, gt=0, description="Messages a user may send per minute, sustained; beyond it the bot asks them to wait.")
    telegram_rate_burst: int = Field(5, ge=1, description="Messages a user may send at once before the rate limit applies.")
    telegram_push_interval: float = Field(
        300.0, ge=0, description="Seconds between checks for a new issue to push to subscribers; 0 turns the push off."
    )
    telegram_edit_interval: float = Field(1.0, gt=0, description="Least seconds between edits of an answer that is still being written.")
    telegram_concurrent_updates: int = Field(256, ge=1, le=4096, description="Updates handled at once across chats (each chat's stay in order).")
    telegram_retries: int = Field(3, ge=0, le=10, description="Retries of a Bot API request after a network error or a 429 (retry_after honoured).")

    @field_validator("telegram_allowed_chats", mode="before")
    @classmethod
    def _chat_ids(cls, value: object) -> object:
        """From the environment: "123, -100456" (or a JSON list)."""
        if isinstance(value, str):
            return value.strip().strip("[]").replace(",", " ").split()
        return value

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.home / "keyword"

    @property
    def audio_dir(self) -> Path:
        return self.home / "audio"
