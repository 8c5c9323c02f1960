"""Settings nested by concern still read every ASSISTANT_* variable that existed when they were flat."""

from __future__ import annotations

import operator
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from assistant.settings import AnswerMode, Settings, SpeechEngineName
from bots.settings import AppSettings, settings_markdown

ROOT = Path(__file__).parents[2]

# Every variable of the flat settings (58), a value that is not its default, where it lands now.
LEGACY = {
    "ASSISTANT_HOME": ("/srv/digest", "storage.home", Path("/srv/digest")),
    "ASSISTANT_COLLECTION": ("weekly", "storage.collection", "weekly"),
    "ASSISTANT_CHROMA_HOST": ("chroma.local", "storage.chroma_host", "chroma.local"),
    "ASSISTANT_CHROMA_PORT": ("8123", "storage.chroma_port", 8123),
    "ASSISTANT_CHROMA_SSL": ("true", "storage.chroma_ssl", True),
    "ASSISTANT_EMBED_BATCH_SIZE": ("32", "embedding.batch_size", 32),
    "ASSISTANT_EMBED_THREADS": ("1", "embedding.threads", 1),
    "ASSISTANT_PASSAGE_WORDS": ("90", "sources.passage_words", 90),
    "ASSISTANT_TOP_K": ("7", "retrieval.top_k", 7),
    "ASSISTANT_CANDIDATES": ("55", "retrieval.candidates", 55),
    "ASSISTANT_KEYWORD_REFRESH_SECONDS": ("0.5", "retrieval.keyword_refresh_seconds", 0.5),
    "ASSISTANT_MIN_RELEVANCE": ("0.5", "answers.min_relevance", 0.5),
    "ASSISTANT_ANSWER_SENTENCES": ("3", "answers.sentences", 3),
    "ASSISTANT_MAX_QUESTION_CHARS": ("500", "answers.max_question_chars", 500),
    "ASSISTANT_SPEECH_ENGINE": ("espeak-ng", "speech.engine", SpeechEngineName.ESPEAK_NG),
    "ASSISTANT_SPEECH_VOICE": ("gmw/en-gb", "speech.voice", "gmw/en-gb"),
    "ASSISTANT_SPEECH_RATE": ("200", "speech.rate", 200),
    "ASSISTANT_SPEECH_WORKERS": ("3", "speech.workers", 3),
    "ASSISTANT_SPEECH_TIMEOUT": ("12.5", "speech.timeout", 12.5),
    "ASSISTANT_SPEECH_RETRIES": ("2", "speech.retries", 2),
    "ASSISTANT_SPEECH_MAX_CHARS": ("9000", "speech.max_chars", 9000),
    "ASSISTANT_AUDIO_CACHE_MB": ("64", "speech.cache_mb", 64),
    "ASSISTANT_WEB_HOST": ("0.0.0.0", "web.host", "0.0.0.0"),
    "ASSISTANT_WEB_PORT": ("8080", "web.port", 8080),
    "ASSISTANT_WEB_AUTH": ("ann:pw", "web.auth", SecretStr("ann:pw")),
    "ASSISTANT_WEB_PUBLIC_URL": ("https://digest.example", "web.public_url", "https://digest.example"),
    "ASSISTANT_WEB_CONCURRENCY": ("4", "web.concurrency", 4),
    "ASSISTANT_WEB_MAX_REQUEST_BYTES": ("2048", "web.max_request_bytes", 2048),
    "ASSISTANT_MAX_SOURCE_BYTES": ("10000", "sources.max_source_bytes", 10_000),
    "ASSISTANT_HTTP_TIMEOUT": ("5", "sources.http_timeout", 5.0),
    "ASSISTANT_HTTP_RETRIES": ("0", "sources.http_retries", 0),
    "ASSISTANT_HTTP_DELAY": ("0.25", "sources.http_delay", 0.25),
    "ASSISTANT_HTTP_MAX_PAGES": ("3", "sources.http_max_pages", 3),
    "ASSISTANT_USER_AGENT": ("reader/2", "sources.user_agent", "reader/2"),
    "ASSISTANT_ANSWER_MODE": ("llm", "answers.mode", AnswerMode.LLM),
    "ASSISTANT_LLM_MODEL": ("gpt-x", "llm.model", "gpt-x"),
    "ASSISTANT_LLM_BASE_URL": ("http://127.0.0.1:9/v1", "llm.base_url", "http://127.0.0.1:9/v1"),
    "ASSISTANT_LLM_API_KEY": ("sk-1", "llm.api_key", SecretStr("sk-1")),
    "ASSISTANT_LLM_TIMEOUT": ("9", "llm.timeout", 9.0),
    "ASSISTANT_LLM_RETRIES": ("0", "llm.retries", 0),
    "ASSISTANT_LLM_COOLDOWN": ("5", "llm.cooldown", 5.0),
    "ASSISTANT_LLM_TEMPERATURE": ("0.7", "llm.temperature", 0.7),
    "ASSISTANT_LLM_MAX_TOKENS": ("100", "llm.max_tokens", 100),
    "ASSISTANT_LLM_CONTEXT_WINDOW": ("8192", "llm.context_window", 8192),
    "ASSISTANT_LLM_SOURCES": ("2", "llm.sources", 2),
    "ASSISTANT_LLM_SOURCE_WORDS": ("100", "llm.source_words", 100),
    "ASSISTANT_LLM_REWRITE": ("false", "llm.rewrite", False),
    "ASSISTANT_LLM_SUPPORT": ("0.4", "llm.support", 0.4),
    "ASSISTANT_LLM_MIN_SUPPORTED": ("0.9", "llm.min_supported", 0.9),
    "ASSISTANT_TELEGRAM_TOKEN": ("123:abc", "telegram.token", SecretStr("123:abc")),
    "ASSISTANT_TELEGRAM_BASE_URL": ("http://127.0.0.1:9/bot", "telegram.base_url", "http://127.0.0.1:9/bot"),
    "ASSISTANT_TELEGRAM_ALLOWED_CHATS": ("12, -100345", "telegram.allowed_chats", [12, -100345]),
    "ASSISTANT_TELEGRAM_RATE_PER_MINUTE": ("30", "telegram.rate_per_minute", 30.0),
    "ASSISTANT_TELEGRAM_RATE_BURST": ("2", "telegram.rate_burst", 2),
    "ASSISTANT_TELEGRAM_PUSH_INTERVAL": ("0", "telegram.push_interval", 0.0),
    "ASSISTANT_TELEGRAM_EDIT_INTERVAL": ("2.5", "telegram.edit_interval", 2.5),
    "ASSISTANT_TELEGRAM_CONCURRENT_UPDATES": ("8", "telegram.concurrent_updates", 8),
    "ASSISTANT_TELEGRAM_RETRIES": ("1", "telegram.retries", 1),
}


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No ASSISTANT_* (or fallback) variable from the machine, and no developer .env."""
    import os

    for name in list(os.environ):
        if name.startswith("ASSISTANT_") or name in ("OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_every_legacy_variable_is_still_read(clean_env):
    assert len(LEGACY) == 58
    for name, (raw, _, _) in LEGACY.items():
        clean_env.setenv(name, raw)
    settings = AppSettings()
    for name, (_, path, expected) in LEGACY.items():
        assert operator.attrgetter(path)(settings) == expected, name


def test_no_variable_is_missing_from_the_list():
    """A knob added later needs no entry here; but none of the 58 may vanish or be renamed."""
    from assistant.settings import env_names

    current = {f"ASSISTANT_{name.upper()}" for name in env_names(AppSettings)}
    assert set(LEGACY) <= current


def test_dotenv_file_and_precedence(clean_env, tmp_path):
    (tmp_path / ".env").write_text("ASSISTANT_TOP_K=9\nASSISTANT_CANDIDATES=50\nOPENAI_API_KEY=sk-env-file\n")
    clean_env.setenv("ASSISTANT_CANDIDATES", "60")  # the environment beats .env
    settings = Settings(answer_sentences=2)  # keyword arguments beat both
    assert settings.retrieval.top_k == 9 and settings.retrieval.candidates == 60
    assert settings.answers.sentences == 2
    assert settings.llm.api_key is not None and settings.llm.api_key.get_secret_value() == "sk-env-file"
    assert Settings(_env_file=None).retrieval.top_k == 5


def test_fallback_variables_yield_to_their_own_names(clean_env):
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "from-fallback")
    clean_env.setenv("OPENAI_API_KEY", "sk-fallback")
    clean_env.setenv("ASSISTANT_LLM_API_KEY", "sk-own")
    settings = AppSettings()
    assert settings.telegram.token_value == "from-fallback"
    assert settings.llm.api_key is not None and settings.llm.api_key.get_secret_value() == "sk-own"


def test_section_values_win_over_flat_names_and_replace_validates(clean_env):
    settings = Settings(retrieval={"top_k": 3}, top_k=4, candidates=50)
    assert (settings.retrieval.top_k, settings.retrieval.candidates) == (3, 50)
    changed = settings.replace(answer_mode="extractive", llm={"model": "m"})
    assert changed.answers.mode is AnswerMode.EXTRACTIVE and changed.llm.model == "m"
    assert changed.retrieval is settings.retrieval  # untouched sections are shared
    with pytest.raises(ValidationError):
        settings.replace(top_k=0)
    with pytest.raises(ValueError, match="no setting named top_kk"):
        settings.replace(top_kk=3)


def test_bad_values_name_the_knob(clean_env):
    clean_env.setenv("ASSISTANT_TOP_K", "many")
    with pytest.raises(ValidationError, match="top_k"):
        Settings()


def test_settings_page_is_generated_and_fresh():
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert page == settings_markdown(), "docs/settings.md is stale: run `python -m bots.settings > docs/settings.md`"
    for name in LEGACY:
        assert f"`{name}`" in page, name
