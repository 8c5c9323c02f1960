"""The web app: FastAPI with the JSON API, audio and the podcast feed, and the Gradio chat
mounted at "/". Guarded by an optional basic login and a request-size limit."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import TYPE_CHECKING

import gradio as gr
from fastapi import FastAPI

from assistant import offline as _offline  # noqa: F401  (GRADIO_ANALYTICS_ENABLED=False before gradio loads)
from assistant.errors import AssistantError
from assistant.facade import Assistant
from bots.web.api import build_router, domain_error_handler
from bots.web.render import CSS
from bots.web.state import WebState
from bots.web.ui import build_ui

if TYPE_CHECKING:
    from bots.settings import AppSettings

OPEN_PATHS = {"/healthz"}  # load balancers and `assistant serve`'s own check probe it without a login


class BodyLimit:
    """413 for request bodies over the limit, whether announced (Content-Length) or streamed."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await _reply(send, 413, b"request body too large")
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await _reply(send, 413, b"request body too large")


class _TooLarge(Exception):
    pass


class BasicAuth:
    """HTTP basic login on every page, API call and audio file (podcast apps support it too)."""

    def __init__(self, app, credentials: str):
        self.app = app
        user, _, password = credentials.partition(":")
        self._expected = f"{user}:{password}".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or scope.get("path") in OPEN_PATHS:
            return await self.app(scope, receive, send)
        header = dict(scope.get("headers") or []).get(b"authorization", b"")
        if header[:6].lower() == b"basic ":
            try:
                given = base64.b64decode(header[6:], validate=True)
            except (binascii.Error, ValueError):
                given = b""
            if secrets.compare_digest(given, self._expected):
                return await self.app(scope, receive, send)
        await _reply(send, 401, b"login required", [(b"www-authenticate", b'Basic realm="digest"')])


async def _reply(send, status: int, body: bytes, headers: list | None = None) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(assistant: Assistant, settings: AppSettings) -> FastAPI:
    state = WebState(assistant, settings)
    app = FastAPI(title="Informed i digest assistant", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = state
    app.include_router(build_router(state))
    app.add_exception_handler(AssistantError, domain_error_handler)
    ui = build_ui(state)
    ui.queue(default_concurrency_limit=settings.web.concurrency, max_size=max(64, 4 * settings.web.concurrency))
    app = gr.mount_gradio_app(
        app,
        ui,
        path="/",
        allowed_paths=[str(settings.storage.audio_dir)],
        css=CSS,
        ssr_mode=False,
        footer_links=[],
        max_file_size=settings.web.max_request_bytes,
        show_error=False,
    )
    app.add_middleware(BodyLimit, limit=settings.web.max_request_bytes)
    if settings.web.auth is not None:
        app.add_middleware(BasicAuth, credentials=settings.web.auth.get_secret_value())
    return app
