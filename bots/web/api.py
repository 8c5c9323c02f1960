"""The web app's HTTP routes beside the chat page: health, a small JSON API (the CLI's --json
shapes), audio from the cache, on-demand listening, and the podcast feed."""

from __future__ import annotations

import asyncio
import re
from datetime import date
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from assistant.conversation import Turn
from assistant.errors import AssistantError
from assistant.models import AnswerOrder, AudioFormat
from bots.common.errors import user_error
from bots.inputs import search_filters
from bots.shapes import answer_json, hit_json
from bots.web.feed import podcast_feed
from bots.web.state import WebState

_AUDIO_NAME = re.compile(r"^[0-9a-f]{40}\.(" + "|".join(AudioFormat) + r")$")


class PreviousTurn(BaseModel):
    """A previous turn as the API takes it: the question, and what its answer cited."""

    question: str = Field(max_length=4000)
    articles: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Ids of the articles its answer cited (citations[].article_id).",
    )
    titles: list[str] = Field(default_factory=list, max_length=20, description="Titles of those articles.")

    def turn(self) -> Turn:
        return Turn(question=self.question, articles=self.articles, titles=self.titles)


class AskRequest(BaseModel):
    question: str = Field(max_length=4000)
    history: list[str | PreviousTurn] = Field(
        default_factory=list,
        max_length=20,
        description="Previous turns, oldest first: each a question, or {question, articles, titles} so a "
        "follow-up searches the articles that turn's answer cited.",
    )
    order: AnswerOrder | None = Field(
        None, description="relevance or time; none: time when the question asks how a view changed."
    )
    week: str | None = Field(None, description="373 or 370-373")
    since: date | None = None
    until: date | None = None
    magazine: str | None = None
    author: str | None = None
    topic: str | None = None


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
    async def listen_week(week: int, fmt: str) -> FileResponse:
        clip = await asyncio.to_thread(assistant.listen_issue, week, _format(fmt))
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


def domain_error_handler(request: Request, exc: AssistantError) -> JSONResponse:
    problem = user_error(exc)
    return JSONResponse({"error": problem.detail}, status_code=STATUS[problem.kind])


def audio_path_of(name: str, folder: Path) -> Path | None:
    """The cache file behind an /audio/ name: only content-hash names the cache wrote, never a path."""
    if not _AUDIO_NAME.match(name):
        return None
    path = (folder / name).resolve()
    return path if path.parent == folder.resolve() and path.is_file() else None
