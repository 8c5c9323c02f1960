"""Domain errors. Library code raises these; channels turn them into messages."""

from __future__ import annotations


class AssistantError(Exception):
    """Base of every error a user may see. ``str(err)`` is a one-line message."""


class SourceError(AssistantError):
    """A source could not be read or parsed. The ingest goes on with the others."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class InputTooLarge(SourceError):
    """A file or download is over ``max_source_bytes``."""


class NotADigestPage(SourceError):
    """The page has no weekly-issue header or no article blocks."""


class EmptyQuestion(AssistantError):
    def __init__(self) -> None:
        super().__init__("The question is empty: type a question about the digest.")


class QuestionTooLong(AssistantError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The question is longer than {limit} characters: please shorten it.")


class UnknownArticle(AssistantError):
    def __init__(self, article_id: str, nearby: list[str] | None = None) -> None:
        self.article_id = article_id
        self.nearby = nearby or []
        hint = f" Did you mean: {', '.join(self.nearby)}?" if self.nearby else ""
        super().__init__(f"No article with id {article_id!r} in the index.{hint}")


class UnknownWeek(AssistantError):
    def __init__(self, week: int, nearby: list[int] | None = None) -> None:
        self.week = week
        self.nearby = nearby or []
        hint = f" Nearby weeks: {', '.join(map(str, self.nearby))}." if self.nearby else ""
        super().__init__(f"Week {week} is not in the index.{hint}")


class InvalidFilter(AssistantError):
    """A search filter that cannot be applied, e.g. a date that is not YYYY-MM-DD."""


class EmbeddingModelMismatch(AssistantError):
    def __init__(self, stored: str, current: str) -> None:
        super().__init__(
            f"The index was built with embedding model {stored!r} but this install uses {current!r}. "
            "Re-create it: remove the index folder (or use another ASSISTANT_COLLECTION) and ingest again."
        )


class StoreUnavailable(AssistantError):
    """The Chroma store (folder or server) cannot be reached or opened."""


class StoreFull(StoreUnavailable):
    """The disk holding the index is full. What was stored before stays; the next ingest, once
    there is room, finishes what this one started."""

    def __init__(self, location: str):
        self.location = location
        super().__init__(
            f"The disk holding the index is full ({location}). Free some space and run the command again; "
            "nothing stored before was lost."
        )


class IndexInUse(StoreUnavailable):
    """Another process holds the embedded index folder (it has one writer)."""


class LanguageModelError(AssistantError):
    """The configured language model failed. Answers fall back to quoting the digest;
    messages never contain the API key."""

    retryable = False  # worth another try (with backoff) before giving up


class LanguageModelNotConfigured(LanguageModelError):
    def __init__(self) -> None:
        super().__init__(
            "ASSISTANT_ANSWER_MODE=llm needs a language model: set ASSISTANT_LLM_MODEL "
            "(and ASSISTANT_LLM_BASE_URL, or OPENAI_API_KEY for OpenAI)."
        )


class LanguageModelAuthError(LanguageModelError):
    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(
            f"The language model endpoint refused the API key ({status}): check ASSISTANT_LLM_API_KEY or OPENAI_API_KEY."
        )


class LanguageModelNotFound(LanguageModelError):
    def __init__(self, model: str) -> None:
        self.model = model
        super().__init__(
            f"The language model endpoint has no model {model!r} (404): check ASSISTANT_LLM_MODEL and ASSISTANT_LLM_BASE_URL."
        )


class LanguageModelUnavailable(LanguageModelError):
    """Unreachable, timed out, or a server error: may work again later."""

    retryable = True


class LocalModelUnavailable(AssistantError):
    """The local model (``.[local-llm]``) or its server is not installed, or did not start."""


class SpeechError(AssistantError):
    """No speech engine could produce valid audio, or the text cannot be spoken."""


class SpeechStopped(SpeechError):
    """Speech was stopped because the assistant is shutting down."""

    def __init__(self) -> None:
        super().__init__("speech was stopped: the assistant is shutting down")


class EmptySpeechText(SpeechError):
    def __init__(self) -> None:
        super().__init__("There is nothing to speak: the text is empty.")


class SpeechTextTooLong(SpeechError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"The text is {length:,} characters; audio is made for at most {limit:,} "
            "(ASSISTANT_SPEECH_MAX_CHARS). Split it into parts."
        )


class UnknownVoice(SpeechError):
    """The configured voice is not one the speech engine has."""


class NoSpeechEngine(SpeechError):
    """No speech engine can run on this machine."""


class AudioCacheError(SpeechError):
    """Audio could not be written to the cache (a full disk, say). Nothing half-written is left."""
