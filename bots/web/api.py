"""The web app's HTTP routes beside the chat page: health, a small JSON API (the CLI's --json
shapes), audio from the cache, on-demand listening, and the podcast feed."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import AfterValidator, BaseModel, Discriminator, Field, Tag
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.conversation import Turn
from assistant.errors import AssistantError
from assistant.models import AnswerOrder, AudioFormat
from bots.common.errors import user_error
from bots.inputs import MAX_WEEK, search_filters
from bots.shapes import answer_json, hit_json
from bots.web.feed import podcast_feed
from bots.web.state import WebState

log = logging.getLogger(__name__)
_AUDIO_NAME = re.compile(r"[0-9a-f]{40}\.(" + "|".join(AudioFormat) + r")")


def _valid_text(value: str) -> str:
    """JSON can carry a lone surrogate (\\ud800) that no UTF-8 text holds: refuse it here, with the
    field's name, rather than fail later in the search or in the reply."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_text", "is not valid text: it holds a lone surrogate") from None
    return value


Text = Annotated[str, AfterValidator(_valid_text)]


class PreviousTurn(BaseModel):
    """A previous turn as the API takes it: the question, and what its answer cited."""

    question: Text = Field(max_length=4000)
    articles: list[Text] = Field(
        default_factory=list,
        max_length=20,
        description="Ids of the articles its answer cited (citations[].article_id).",
    )
    titles: list[Text] = Field(default_factory=list, max_length=20, description="Titles of those articles.")

    def turn(self) -> Turn:
        return Turn(question=self.question, articles=self.articles, titles=self.titles)


# A history item is a question or a turn; the discriminator makes an error name one of them, not both.
HistoryItem = Annotated[
    Annotated[Text, Tag("text")] | Annotated[PreviousTurn, Tag("turn")],
    Discriminator(lambda v: "text" if isinstance(v, str) else "turn"),
]
_TAGS = {"text", "turn"}


class AskRequest(BaseModel):
    question: Text = Field(max_length=4000)
    history: list[HistoryItem] = Field(
        default_factory=list,
        max_length=20,
        description="Previous turns, oldest first: each a question, or {question, articles, titles} so a "
        "follow-up searches the articles that turn's answer cited.",
    )
    order: AnswerOrder | None = Field(
        None, description="relevance or time; none: time when the question asks how a view changed."
    )
    week: Text | None = Field(None, description="373 or 370-373")
    since: date | None = None
    until: date | None = None
    magazine: Text | None = None
    author: Text | None = None
    topic: Text | None = None


# The common error policy's kinds as HTTP statuses: the index, a speech engine or a model that is
# not available is a 503.
STATUS = {"not_found": 404, "bad_input": 400, "unavailable": 503, "speech": 503, "internal": 500}


def build_router(state: WebState) -> APIRouter:
    router = APIRouter()
    assistant = state.assistant

    @router.get("/healthz")
    async def healthz() -> dict:
        articles = await asyncio.to_thread(state.article_count)
        return {"status": "ok", "articles": articles}

    @router.post("/api/ask")
    async def api_ask(body: AskRequest) -> dict:
        filters = search_filters(body.week, body.since, body.until, body.magazine, body.author, body.topic)
        history = [h if isinstance(h, str) else h.turn() for h in body.history]
        answer = await asyncio.to_thread(assistant.ask, body.question, history, filters, body.order)
        return answer_json(answer)

    @router.get("/api/search")
    async def api_search(
        q: str = Query(..., max_length=4000),
        top_k: int | None = Query(None, ge=1, le=100),
        week: str | None = None,
        since: date | None = None,
        until: date | None = None,
        magazine: str | None = None,
        author: str | None = None,
        topic: str | None = None,
    ) -> dict:
        filters = search_filters(week, since, until, magazine, author, topic)
        hits = await asyncio.to_thread(assistant.search, q, filters, top_k)
        return {"query": q, "hits": [hit_json(h) for h in hits]}

    @router.get("/audio/{name}")
    async def audio(name: str) -> FileResponse:
        path = audio_path_of(name, state.settings.storage.audio_dir)
        if path is None:
            raise HTTPException(404, "no such audio")
        return FileResponse(path, media_type=AudioFormat(path.suffix[1:]).media_type)

    @router.get("/listen/article/{article_id}.{fmt}")
    async def listen_article(article_id: str, fmt: str) -> FileResponse:
        clip = await asyncio.to_thread(assistant.listen_article, article_id, _format(fmt))
        return FileResponse(clip.path, media_type=AudioFormat(clip.format).media_type)

    @router.get("/listen/week/{week}.{fmt}")
    async def listen_week(week: str, fmt: str) -> FileResponse:
        number, fmt = week_number(week), _format(fmt)

        def listen():
            assistant.issue(number)  # an unknown week is a 404 before any speech work starts
            return assistant.listen_issue(number, fmt)

        clip = await asyncio.to_thread(listen)
        return FileResponse(clip.path, media_type=AudioFormat(clip.format).media_type)

    @router.get("/podcast.xml")
    async def podcast(request: Request) -> Response:
        base = state.settings.web.public_url or str(request.base_url)
        episodes = await asyncio.to_thread(state.episodes)
        return Response(podcast_feed(episodes, base.rstrip("/")), media_type="application/rss+xml")

    return router


def _format(fmt: str) -> str:
    if fmt not in set(AudioFormat):
        raise HTTPException(404, "audio comes as .mp3, .ogg or .wav")
    return fmt


def week_number(text: str) -> int:
    """A week from a URL: 400 when it is not a whole number, 404 when no issue could have it."""
    if not re.fullmatch(r"-?[0-9]+", text):
        raise HTTPException(400, "The week must be a whole number, as in /listen/week/373.mp3.")
    digits = text.lstrip("-").lstrip("0") or "0"
    if text.startswith("-") or len(digits) > len(str(MAX_WEEK)) or int(digits) > MAX_WEEK:
        raise HTTPException(404, f"Week numbers run from 0 to {MAX_WEEK}: there is no such week.")
    return int(digits)


def domain_error_handler(request: Request, exc: AssistantError) -> JSONResponse:
    """A domain error's own words when they are about the request (not found, bad input); for a
    speech engine, the index or a model, what the chat would say, and the details to the log."""
    problem = user_error(exc)
    if problem.kind in ("not_found", "bad_input"):
        return JSONResponse({"error": problem.detail}, status_code=STATUS[problem.kind])
    log.warning("%s %s failed: %s", request.method, request.url.path, problem.detail, exc_info=problem.report)
    return JSONResponse({"error": problem.text}, status_code=STATUS[problem.kind])


def http_error_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)


def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """400 with one short line that names the field, never the input (which can be 60 kB, or not
    even encodable)."""
    return JSONResponse({"error": validation_message(exc.errors())}, status_code=400)


def validation_message(errors: Sequence[dict[str, Any]]) -> str:
    if not errors:
        return "the request is not valid"
    first = errors[0]
    kind, ctx, where = first.get("type", ""), first.get("ctx") or {}, _field_name(first.get("loc", ()))
    if kind == "json_invalid":
        message = "the body is not valid JSON"
    elif kind == "missing":
        message = f"{where} is required"
    elif kind in ("invalid_text", "string_unicode"):
        message = f"{where} is not valid text: it holds a lone surrogate"
    elif kind == "string_too_long":
        message = f"{where} is too long: at most {ctx.get('max_length')} characters"
    elif kind == "too_long":
        message = f"{where} has too many items: at most {ctx.get('max_length')}"
    elif kind in ("model_attributes_type", "model_type", "dict_type"):
        if re.fullmatch(r"history\[\d+\]", where):
            message = f"{where} must be a question or an object with a question"
        else:
            message = f"{where} must be a JSON object"
    else:
        text = str(first.get("msg", "is not valid"))
        message = f"{where}: {text[:1].lower()}{text[1:]}"
    more = len(errors) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return message[:300]


def _field_name(loc: Sequence[Any]) -> str:
    """("body", "history", 0, "turn", "question") -> "history[0].question"."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc)
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        elif part not in _TAGS:
            name += f".{part}" if name else str(part)
    return name or "the request body"


def is_audio_name(name: str) -> bool:
    """A file name the audio cache writes: a content hash and an audio suffix."""
    return _AUDIO_NAME.fullmatch(name) is not None


def audio_path_of(name: str, folder: Path) -> Path | None:
    """The cache file behind an /audio/ name: only content-hash names the cache wrote, never a path."""
    if not is_audio_name(name):
        return None
    path = (folder / name).resolve()
    return path if path.parent == folder.resolve() and path.is_file() else None
