"""The web app: FastAPI with the JSON API, audio and the podcast feed, and the Gradio chat
mounted at "/". Guarded, from the outside in, by security headers on every response, an optional
basic login, a request-size limit, and a guard over what Gradio would otherwise accept or serve."""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import offline as _offline  # noqa: F401  (GRADIO_ANALYTICS_ENABLED=False before gradio loads)
from assistant.errors import AssistantError
from assistant.facade import Assistant
from bots.web.api import (
    build_router,
    domain_error_handler,
    http_error_handler,
    is_audio_name,
    validation_error_handler,
)
from bots.web.render import CSS
from bots.web.state import WebState
from bots.web.ui import build_ui

if TYPE_CHECKING:
    from bots.settings import AppSettings

OPEN_PATHS = {"/healthz"}  # load balancers and `assistant serve`'s own check probe it without a login
# Gradio's routes that take files. No component of the page takes one, so they are off: an open
# upload stores anything anyone sends and answers with a server path.
UPLOAD_PATHS = {"/gradio_api/upload", "/gradio_api/upload_progress", "/gradio_api/process_recording"}
FILE_ROUTES = ("/gradio_api/file=", "/gradio_api/file/")  # Gradio serves allowed files by path here

# What the Gradio 6 page needs and no more: its own scripts, inline ones (its config) and eval (a
# gr.HTML block's js_on_load runs through Function()), inline styles, data:/blob: images and
# media, and requests to this origin only. Never framed.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "frame-src 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # "no-referrer" would send Origin: null, which Gradio refuses
]


class SecurityHeaders:
    """CSP, no framing, no sniffing and a same-origin referrer on every HTTP response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """413 for request bodies over the limit, whether announced (Content-Length) or streamed
    (chunked). The body is read here, before any route sees it, and handed on whole: a limit
    enforced while a route reads would surface as that route's own error (a 400 from FastAPI's
    body parsing, a 500 from Gradio's upload parser)."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            return await _too_large(send, self.limit)
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left before its body was in
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                return await _too_large(send, self.limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, handed = b"".join(chunks), False

        async def replay():
            nonlocal handed
            if not handed:
                handed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # then what the server says next (a disconnect)

        await self.app(scope, replay, send)


class BasicAuth:
    """HTTP basic login on every page, API call, audio file and WebSocket (podcast apps support it too)."""

    def __init__(self, app, credentials: str):
        self.app = app
        user, _, password = credentials.partition(":")
        self._expected = f"{user}:{password}".encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket") or scope.get("path") in OPEN_PATHS:
            return await self.app(scope, receive, send)
        header = _header(scope, b"authorization") or b""
        if header[:6].lower() == b"basic ":
            try:
                given = base64.b64decode(header[6:], validate=True)
            except (binascii.Error, ValueError):
                given = b""
            if secrets.compare_digest(given, self._expected):
                return await self.app(scope, receive, send)
        await _reply(scope, send, 401, "login required", [(b"www-authenticate", b'Basic realm="digest"')])


class GradioGuard:
    """What Gradio would accept or serve that this app does not: uploads, and any file of the
    audio folder but a cached clip (its JSON sidecar holds absolute server paths; the folder is
    an allowed path only so the answer's player can play from it)."""

    def __init__(self, app, audio_dir: Path):
        self.app, self.audio_dir = app, Path(os.path.realpath(audio_dir))

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            path = scope.get("path", "")
            if path.rstrip("/") in UPLOAD_PATHS:
                return await _reply(scope, send, 404, "uploads are off")
            for route in FILE_ROUTES:
                if path.startswith(route) and not self._servable(path[len(route) :]):
                    return await _reply(scope, send, 404, "no such file")
        await self.app(scope, receive, send)

    def _servable(self, name: str) -> bool:
        """False for a path into the audio folder that is not one of its clips; other paths are
        Gradio's to judge (its own allowed and blocked paths)."""
        try:
            # As Gradio resolves it (relative to the working directory), and where it really is.
            places = {Path(os.path.abspath(name)), Path(os.path.realpath(name))}
        except (OSError, ValueError):  # a NUL byte, a path too long
            return False
        inside = [p for p in places if p == self.audio_dir or self.audio_dir in p.parents]
        if not inside:
            return True
        return all(p.parent == self.audio_dir and is_audio_name(p.name) for p in places)


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value
    return None


async def _too_large(send, limit: int) -> None:
    await _reply({"type": "http"}, send, 413, f"request body too large: the limit is {limit} bytes")


async def _reply(scope, send, status: int, error: str, headers: list | None = None) -> None:
    """An error as the API gives it, {"error": ...}; a WebSocket is refused before its handshake
    (with this status where the server can send one, else with the 403 of a close)."""
    body = json.dumps({"error": error}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])]
    if scope["type"] == "websocket":
        if "websocket.http.response" not in (scope.get("extensions") or {}):
            return await send({"type": "websocket.close", "code": 1008})
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        return await send({"type": "websocket.http.response.body", "body": body})
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def create_app(assistant: Assistant, settings: AppSettings) -> FastAPI:
    state = WebState(assistant, settings)
    app = FastAPI(title="Informed i digest assistant", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = state
    app.include_router(build_router(state))
    app.add_exception_handler(AssistantError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
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
    # The last added runs first: headers on everything, then the login, the size limit, the guard.
    app.add_middleware(GradioGuard, audio_dir=settings.storage.audio_dir)
    app.add_middleware(BodyLimit, limit=settings.web.max_request_bytes)
    if settings.web.auth is not None:
        app.add_middleware(BasicAuth, credentials=settings.web.auth.get_secret_value())
    app.add_middleware(SecurityHeaders)
    return app
