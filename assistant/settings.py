"""The one settings object, nested by concern. Built once by a channel and passed in; never global.

Every knob reads one environment variable (or ``.env`` line) whose name has not changed since
settings were flat: ``settings.retrieval.top_k`` reads ``ASSISTANT_TOP_K`` and
``settings.llm.model`` reads ``ASSISTANT_LLM_MODEL``. A section's variable names are its
``env_prefix`` plus the field name, except where ``env_names`` says otherwise; that one
mapping (:func:`env_names`) serves the environment, ``.env``, keyword arguments
(``Settings(top_k=3)``) and :meth:`Settings.replace`.

Channel sections (web, Telegram) live in their channel's package and join the core's
sections in ``bots.settings.AppSettings``: the core never reads them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "ASSISTANT_"


class AnswerMode(StrEnum):
    AUTO = "auto"
    EXTRACTIVE = "extractive"
    LLM = "llm"


class SpeechEngineName(StrEnum):
    PYTTSX3 = "pyttsx3"
    ESPEAK_NG = "espeak-ng"
    PIPER = "piper"


class Section(BaseModel):
    """One concern's knobs. ``env_prefix`` + field name = the variable name after ``ASSISTANT_``."""

    model_config = ConfigDict(extra="forbid", validate_default=True)

    env_prefix: ClassVar[str] = ""
    env_names: ClassVar[dict[str, str]] = {}  # field -> name after ASSISTANT_, where it differs
    env_fallbacks: ClassVar[dict[str, str]] = {}  # field -> a whole variable read when its own is unset

    @classmethod
    def env_name(cls, field: str) -> str:
        return cls.env_names.get(field, cls.env_prefix + field)


class StorageSettings(Section):
    home: Path = Field(Path("data"), description="Folder for the embedded Chroma store, keyword index and caches.")
    collection: str = Field("digest", description="Prefix of the Chroma collections (articles, passages, state).")
    chroma_host: str | None = Field(
        None, description="Chroma server host. Unset: embedded PersistentClient under home."
    )
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_ssl: bool = Field(False, description="Use https to reach the Chroma server.")

    @property
    def chroma_dir(self) -> Path:
        return self.home / "chroma"

    @property
    def keyword_dir(self) -> Path:
        return self.home / "keyword"

    @property
    def audio_dir(self) -> Path:
        return self.home / "audio"


class EmbeddingSettings(Section):
    env_prefix = "embed_"

    batch_size: int = Field(16, ge=1, le=256, description="Passages per embedding batch.")
    threads: int = Field(2, ge=1, le=64, description="onnxruntime intra-op threads.")


class SourceSettings(Section):
    """Reading and cutting sources (the write path)."""

    passage_words: int = Field(110, ge=30, le=400, description="Target words per summary passage.")
    max_source_bytes: int = Field(5_000_000, ge=1_000, description="Largest single file or download accepted.")
    http_timeout: float = Field(
        20.0,
        gt=0,
        description="Seconds one HTTP request may take in all (connecting, headers and the whole body; each retry "
        "gets its own); also the longest Retry-After honoured.",
    )
    http_retries: int = Field(3, ge=0, le=10, description="Retries of a failed HTTP request (with backoff).")
    http_delay: float = Field(1.0, ge=0, description="Polite pause between requests to the same site.")
    http_max_pages: int = Field(200, ge=1, description="Most WordPress REST pages read from one site.")
    user_agent: str = Field("informedi-assistant/0.1 (+digest reader)", description="User-Agent for HTTP reads.")


class RetrievalSettings(Section):
    top_k: int = Field(5, ge=1, le=100, description="Articles returned by search and used by ask.")
    candidates: int = Field(40, ge=5, le=500, description="Passages fetched from each retriever before fusion.")
    keyword_refresh_seconds: float = Field(
        2.0, ge=0, description="How often a process checks whether another writer changed the index."
    )
    rrf_k: int = Field(
        60, ge=1, description="Reciprocal-rank-fusion constant (Cormack et al. 2009): it damps the weight of top ranks."
    )
    rerank_pool: int = Field(12, ge=1, le=200, description="Articles taken from the fused list to re-rank by evidence.")
    coverage_weight: float = Field(
        0.4,
        ge=0,
        le=1,
        description="Weight of question-word coverage against passage cosine in the evidence score. "
        "Tuned on the tune split of evals/gold.jsonl.",
    )
    passages_per_hit: int = Field(
        3, ge=1, le=20, description="Matched passages kept per article (quotes are scored over the whole article)."
    )
    article_cache: int = Field(2048, ge=0, description="Parsed articles kept per process (a few MB).")
    one_shot: bool = Field(
        False,
        description="For a process that answers once and exits (`assistant ask` sets it): search reads only "
        "the saved keyword index (exact search over its vectors, its passage texts and articles), so the "
        "process never loads Chroma's vector index, which takes seconds at 100,000 articles, and trusts "
        "the saved index without counting the store's passages.",
    )


class AnswerSettings(Section):
    env_names = {"mode": "answer_mode", "sentences": "answer_sentences"}

    mode: AnswerMode = Field(
        AnswerMode.AUTO,
        description="auto: the language model when configured and reachable, else extractive. "
        "llm: always the model (falls back with a notice). extractive: never.",
    )
    min_relevance: float = Field(
        0.35,
        description="Evidence score (0..1) below which ask says the digest has nothing on it. "
        "Tuned on the tune split of evals/gold.jsonl.",
    )
    sentences: int = Field(4, ge=1, le=12, description="Sentences quoted by the extractive answer.")
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted.")
    max_articles: int = Field(3, ge=1, le=10, description="Most articles an extractive answer quotes.")
    second_source_margin: float = Field(
        0.06,
        ge=0,
        le=1,
        description="How far below the best article's evidence score a further source may be and still be quoted. "
        "Tuned for the best citation F1 on the tune split of evals/gold.jsonl.",
    )
    rerank_sentences: int = Field(
        8,
        ge=1,
        le=50,
        description="Front-running quote windows re-scored by their own meaning per answer (their sentences are "
        "embedded once, about 6 ms each on 2 cores, then cached).",
    )
    judge_min_support: float = Field(
        0.45,
        description="The answerability judge's floor: the best quote's meaning plus its share of the question's focus, "
        "less penalties. Below it the answer is 'not in the digest'. Tuned on the tune split of evals/gold.jsonl.",
    )
    judge_filtered_slack: float = Field(
        0.15, ge=0, description="How much lower the judge's floor is when the user set filters (magazine, weeks...)."
    )
    judge_evidence_weight: float = Field(
        0.5, ge=0, le=1, description="Share of the best article's evidence score (the rest: the best quote's meaning)."
    )
    judge_name_forgiven: float = Field(
        0.6,
        ge=0,
        le=1,
        description="A name the article never mentions refuses the answer unless the best quote's meaning and its share "
        "of the question's focus both reach this.",
    )
    judge_focus_weight: float = Field(
        0.3, ge=0, description="Weight of the question's focus words held by the best quote, in the judge's support."
    )
    judge_unknown_weight: float = Field(
        0.3, ge=0, description="Penalty per share of the question's words that the digest never uses, in the support."
    )
    judge_disagree_penalty: float = Field(
        0.05, ge=0, description="Penalty when only one of the keyword and dense sides found the best article."
    )
    time_margin: float = Field(
        0.2,
        ge=0,
        le=1,
        description="How far below the best article's evidence score an issue's article may be and still be a point "
        "of an answer over time. Tuned on the tune split of evals/gold.jsonl.",
    )
    time_points: int = Field(
        6, ge=1, le=20, description="Most issues an answer over time quotes (one point per issue, oldest first)."
    )


class LlmSettings(Section):
    env_prefix = "llm_"
    env_fallbacks = {"api_key": "OPENAI_API_KEY"}

    model: str | None = Field(
        None, description="Model name at the endpoint, e.g. gpt-4o-mini. Unset: no language model is configured."
    )
    base_url: str | None = Field(
        None,
        description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1 (llama.cpp, vLLM, Ollama). "
        "Unset: OpenAI's API.",
    )
    api_key: SecretStr | None = Field(
        None, description="API key; OPENAI_API_KEY is read when this is unset. Never logged."
    )
    timeout: float = Field(
        30.0, gt=0, description="Seconds to connect, and to wait for each streamed piece of an answer."
    )
    retries: int = Field(
        2, ge=0, le=6, description="Retries of a failed model request before the first token (backoff 0.5 s, 1 s, ...)."
    )
    cooldown: float = Field(
        60.0, ge=0, description="Seconds auto mode answers extractively after the model could not be reached."
    )
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature of generated answers.")
    max_tokens: int = Field(350, ge=16, le=4096, description="Longest generated answer, in tokens.")
    context_window: int = Field(4096, ge=512, description="The model's context window, in tokens.")
    sources: int = Field(4, ge=1, le=10, description="Most articles given to the model as numbered sources.")
    source_words: int = Field(220, ge=40, le=2000, description="Words of each article given to the model.")
    rewrite: bool = Field(True, description="Rewrite follow-up questions with the model (else deterministically).")
    support: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Cosine between a generated sentence and its cited article's best sentence for it to count as supported.",
    )
    min_supported: float = Field(
        0.6,
        ge=0,
        le=1,
        description="Share of generated sentences that must be supported; below it the extractive answer is given.",
    )


class SpeechSettings(Section):
    env_prefix = "speech_"
    env_names = {"cache_mb": "audio_cache_mb"}

    engine: SpeechEngineName = Field(
        SpeechEngineName.PYTTSX3,
        description="Speech engine; espeak-ng is the fallback. piper needs `pip install '.[piper]'`.",
    )
    voice: str = Field("gmw/en-us", description="Voice id for pyttsx3/espeak-ng (see `assistant voices`).")
    rate: int = Field(175, ge=80, le=450, description="Speaking rate in words per minute.")
    workers: int = Field(2, ge=1, le=16, description="pyttsx3 worker processes (concurrent syntheses).")
    timeout: float = Field(10.0, gt=0, description="Seconds one engine gets per part before it is retried.")
    retries: int = Field(1, ge=0, le=5, description="Retries of an engine before falling back to espeak-ng.")
    max_chars: int = Field(20_000, ge=100, description="Longest free text or answer turned into audio.")
    cache_mb: int = Field(512, ge=1, description="Size limit of the audio cache; least recently used go first.")


class Settings(BaseSettings):
    """Every knob of the core, by concern. Fields that are :class:`Section`\\ s are read from the
    flat ``ASSISTANT_*`` variables (see the module docstring)."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    storage: StorageSettings = Field(default_factory=StorageSettings, description="Where the index lives.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="The local embedding model.")
    sources: SourceSettings = Field(default_factory=SourceSettings, description="Reading sources (ingest).")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Hybrid search.")
    answers: AnswerSettings = Field(default_factory=AnswerSettings, description="Answers and the relevance gate.")
    llm: LlmSettings = Field(default_factory=LlmSettings, description="The optional language model.")
    speech: SpeechSettings = Field(default_factory=SpeechSettings, description="Listening: speech and audio cache.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Keyword arguments win over the environment, which wins over .env.
        return (
            init_settings,
            _FlatVariables(settings_cls, env_settings),
            _FlatVariables(settings_cls, dotenv_settings),
        )

    @model_validator(mode="before")
    @classmethod
    def _route_flat_names(cls, data: Any) -> Any:
        """``top_k=3`` (a keyword argument or ASSISTANT_TOP_K) -> ``retrieval={"top_k": 3}``.
        A value given inside its section wins over the same knob given by its flat name."""
        if not isinstance(data, Mapping):
            return data
        return _nest(cls, dict(data))

    def replace(self, **changes: Any) -> Settings:
        """A copy with some knobs changed, by flat name (``answer_mode="llm"``) or by section
        (``llm={"model": "m"}``). Values are validated; untouched sections are shared."""
        nested = _nest(type(self), dict(changes))
        unknown = [name for name in nested if name not in type(self).model_fields]
        if unknown:
            raise ValueError(f"no setting named {', '.join(sorted(unknown))}")
        updates: dict[str, Any] = {}
        for section, values in nested.items():
            current = getattr(self, section)
            if isinstance(current, Section) and isinstance(values, Mapping):
                merged = {**{k: getattr(current, k) for k in type(current).model_fields}, **values}
                updates[section] = type(current).model_validate(merged)
            else:
                updates[section] = values
        return self.model_copy(update=updates)


def sections(settings_cls: type[BaseModel]) -> Iterator[tuple[str, type[Section]]]:
    """(field name, section class) of every section of a settings class."""
    for name, field in settings_cls.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, Section):
            yield name, annotation


def env_names(settings_cls: type[BaseModel]) -> dict[str, tuple[str, str]]:
    """Flat name (lower case, no prefix) -> (section, field), for every knob."""
    names: dict[str, tuple[str, str]] = {}
    for section, model in sections(settings_cls):
        for field in model.model_fields:
            names[model.env_name(field)] = (section, field)
    return names


def _nest(settings_cls: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    names = env_names(settings_cls)
    routed: dict[str, dict[str, Any]] = {}
    for key in list(data):
        if key in names:
            section, field = names[key]
            routed.setdefault(section, {})[field] = data.pop(key)
    for section, flat in routed.items():
        given = data.get(section)
        if isinstance(given, BaseModel):
            given = {k: getattr(given, k) for k in type(given).model_fields if k in given.model_fields_set}
        data[section] = {**flat, **(given or {})}
    return data


class _FlatVariables(PydanticBaseSettingsSource):
    """The ``ASSISTANT_<NAME>`` variables (and the whole-name fallbacks such as OPENAI_API_KEY)
    that one env or .env source read, as flat names for :func:`_nest`. Written here because
    pydantic-settings maps nested fields only to ``PREFIX_SECTION__FIELD`` names."""

    def __init__(self, settings_cls: type[BaseSettings], source: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._variables: Mapping[str, str | None] = source.env_vars if isinstance(source, EnvSettingsSource) else {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        prefix = ENV_PREFIX.lower()
        for _, model in sections(self.settings_cls):
            for field in model.model_fields:
                name = model.env_name(field)
                value = self._variables.get(prefix + name)
                fallback = model.env_fallbacks.get(field)
                if value is None and fallback:
                    value = self._variables.get(fallback.lower())
                if value is not None:
                    found[name] = value
        return found
