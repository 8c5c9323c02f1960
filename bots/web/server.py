"""The web chat as one of the channels `assistant serve` runs (and the only one of `assistant
web`): uvicorn serving the web app on the shared event loop and Assistant, and the audio
warm-up. Light to import; uvicorn and Gradio load in ``start``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from assistant.errors import SpeechStopped, UnknownArticle
from assistant.models import AudioFormat

if TYPE_CHECKING:
    import uvicorn

    from assistant import Assistant
    from bots.settings import AppSettings

log = logging.getLogger(__name__)
WARM_DELAY = 3.0  # seconds: let the first page load before audio work competes for the CPU


class WebChannel:
    name = "web"
    label = "the web chat"

    def __init__(self) -> None:
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task | None = None
        self._warm: asyncio.Task | None = None

    def off_reason(self, settings: AppSettings) -> str | None:
        return None  # always on

    async def start(self, assistant: Assistant, settings: AppSettings) -> None:
        """Returns once the server listens (a port in use ends the process, as uvicorn does)."""
        from bots.web.app import create_app

        app = create_app(assistant, settings)
        server = _server(app, settings)
        self._server, self._serving = server, asyncio.create_task(_serve(server), name="web-server")
        while not server.started:
            if self._serving.done():  # it could not listen; uvicorn has logged why
                code = self._serving.result()
                self._server = self._serving = None
                raise SystemExit(code or 1)  # uvicorn's exit code, as when it runs alone
            await asyncio.sleep(0.02)
        if settings.web.warm_audio:
            self._warm = asyncio.create_task(_warm_episodes(app.state.web), name="web-audio-warm-up")

    async def stop(self) -> None:
        if self._warm is not None:
            self._warm.cancel()
            self._warm = None
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True  # uvicorn's graceful shutdown (timeout_graceful_shutdown)
            await self._serving
            self._server = self._serving = None


async def _serve(server: uvicorn.Server) -> int:
    """uvicorn's serve; a startup failure (uvicorn calls sys.exit) becomes its exit code, returned
    to ``start`` rather than raised out of a task."""
    try:
        await server.serve()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1
    return 0


def _server(app, settings: AppSettings) -> uvicorn.Server:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self):
            yield  # the host owns SIGINT/SIGTERM and stops every channel (bots/host.py)

    return Server(
        uvicorn.Config(
            app,
            host=settings.web.host,
            port=settings.web.port,
            log_config=None,  # uvicorn's records go to the handler and level every command uses (bots/logs.py)
            log_level=None,
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=5,
        )
    )


async def _warm_episodes(state) -> None:
    """Make every issue's episode, and the newest issue's articles as MP3 (web) and OGG (Telegram),
    once, so the feed, the Browse tab and the first Listen of the week answer from the cache."""
    await asyncio.sleep(WARM_DELAY)
    try:
        episodes = await asyncio.to_thread(state.episodes)
        log.info("podcast: %d episodes ready", len(episodes))
        listings = await asyncio.to_thread(state.assistant.issues)
        for article in listings[0].articles if listings else []:
            for fmt in (AudioFormat.MP3, AudioFormat.OGG):  # the web plays MP3; Telegram takes OGG/Opus
                try:
                    await asyncio.to_thread(state.assistant.listen_article, article.id, fmt)
                except UnknownArticle:  # withdrawn by another process since the listing was read
                    log.info("warming: %s is no longer in the index", article.id)
                    break
        log.info("audio of the newest issue's articles ready")
    except SpeechStopped:
        log.info("warming the audio cache stopped: shutting down")
    except Exception:  # warming is an optimisation; requests make what they need anyway
        log.exception("warming the audio cache failed")
