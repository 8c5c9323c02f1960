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
    def __init__(self, article_id: str) -> None:
        self.article_id = article_id
        super().__init__(f"No article with id {article_id!r} in the index (see `assistant search`).")


class UnknownWeek(AssistantError):
    def __init__(self, week: int) -> None:
        self.week = week
        super().__init__(f"Week {week} is not in the index (see `assistant issues`).")


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
