"""The one error policy of every channel: any exception becomes a small ``UserError`` that says
what kind of failure it is and what to tell the user. Channels only format it: the web API
turns ``kind`` into an HTTP status, Telegram escapes ``text`` as HTML, the command line prints
``detail`` and adds its own hints (by ``about``). Only this module looks at exception classes.

Also here: the two outcomes a transport reports back to the common layer when it delivers on
its own initiative (the weekly push): ``RecipientGone`` and ``DeliveryFailed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assistant.errors import (
    AssistantError,
    EmptyQuestion,
    EmptySpeechText,
    IndexInUse,
    InvalidFilter,
    LanguageModelError,
    NoSpeechEngine,
    QuestionTooLong,
    SpeechError,
    SpeechTextTooLong,
    UnknownArticle,
    UnknownVoice,
    UnknownWeek,
)

Kind = Literal["not_found", "bad_input", "unavailable", "speech", "internal"]
About = Literal["article", "week", "voice", "speech_engine", "index_in_use"]

EXAMPLE_QUESTION = "What do leaders do that impedes mastery?"
SOMETHING_WENT_WRONG = "Sorry, something went wrong on my side. Please try again in a moment."
SPEECH_FAILED = "Sorry, I couldn't make the audio just now. Please try again later."


@dataclass(frozen=True)
class UserError:
    kind: Kind
    text: str  # what a conversation tells the user: plain text, no channel hints, no internals
    detail: str  # the precise one-line message (a domain error's own words), for commands and APIs
    about: About | None = None  # what went wrong, for a channel's own hint ("see `assistant issues`")
    report: bool = False  # an operator should look (log the traceback); the user only hears SOMETHING_WENT_WRONG


def user_error(exc: BaseException) -> UserError:
    """What to tell the user about ``exc``."""
    if not isinstance(exc, AssistantError):
        return UserError("internal", SOMETHING_WENT_WRONG, SOMETHING_WENT_WRONG, report=True)
    detail = str(exc)
    if isinstance(exc, UnknownWeek):
        near = f" Nearby issues: {', '.join(map(str, exc.nearby))}." if exc.nearby else ""
        return UserError("not_found", f"Week {exc.week} is not in the digest.{near}", detail, "week")
    if isinstance(exc, UnknownArticle):
        near = f" Did you mean {', '.join(exc.nearby)}?" if exc.nearby else ""
        return UserError("not_found", f"There is no article with the id “{exc.article_id}”.{near}", detail, "article")
    if isinstance(exc, EmptyQuestion):
        return UserError("bad_input", f"Your question is empty. Type a question, e.g. {EXAMPLE_QUESTION}", detail)
    if isinstance(exc, (QuestionTooLong, InvalidFilter, EmptySpeechText, SpeechTextTooLong)):
        return UserError("bad_input", detail, detail)
    if isinstance(exc, SpeechError):
        about: About | None = "voice" if isinstance(exc, UnknownVoice) else None
        if isinstance(exc, NoSpeechEngine):
            about = "speech_engine"
        return UserError("speech", SPEECH_FAILED, detail, about)
    if isinstance(exc, LanguageModelError):  # written for users; never carries the API key
        return UserError("unavailable", detail, detail)
    if isinstance(exc, IndexInUse):  # an operator's mistake, said as such to whoever runs the command
        return UserError("unavailable", SOMETHING_WENT_WRONG, detail, "index_in_use", report=True)
    # The index, the embedding model or the configuration: details are for the operator.
    return UserError("unavailable", SOMETHING_WENT_WRONG, detail, report=True)


class RecipientGone(Exception):
    """The recipient blocked the bot, left, or no longer exists: stop sending to it."""


class DeliveryFailed(Exception):
    """A send failed for now (network, the service's limits): the next round tries again."""
