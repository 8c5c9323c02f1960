"""Run the web app (and, in `assistant serve`, the Telegram bot) in one process and one event
loop, sharing one Assistant: an embedded Chroma folder must have a single writer."""

from __future__ import annotations

import asyncio
import logging

from assistant.facade import Assistant
from assistant.settings import Settings

log = logging.getLogger(__name__)
WARM_DELAY = 3.0  # seconds: let the first page load before audio work competes for the CPU


async def serve(settings: Settings, telegram: bool) -> None:
    import uvicorn

    from bots.web.app import create_app

    assistant = Assistant(settings)
    app = create_app(assistant, settings)
    server = uvicorn.Server(uvicorn.Config(
        app, host=settings.web_host, port=settings.web_port, log_level="info", proxy_headers=False,
        server_header=False, timeout_graceful_shutdown=5,
    ))
    bot = None
    token = getattr(settings, "telegram_token", None)
    if telegram and token is not None:
        from bots.telegram.bot import TelegramBot

        bot = TelegramBot(assistant, settings)
        await bot.start()
        log.info("Telegram bot started")
    elif telegram:
        log.info("no Telegram token (TELEGRAM_BOT_TOKEN): serving the web chat only")
    warm = asyncio.create_task(_warm_episodes(app.state.web))  # cancelled on shutdown
    try:
        await server.serve()
    finally:
        warm.cancel()
        if bot is not None:
            await bot.stop()
        await asyncio.to_thread(assistant.close)


async def _warm_episodes(state) -> None:
    """Make every issue's episode, and the newest issue's articles as MP3 (web) and OGG (Telegram),
    once, so the feed, the Browse tab and the first Listen of the week answer from the cache."""
    await asyncio.sleep(WARM_DELAY)
    try:
        episodes = await asyncio.to_thread(state.episodes)
        log.info("podcast: %d episodes ready", len(episodes))
        listings = await asyncio.to_thread(state.assistant.issues)
        for article in listings[0].articles if listings else []:
            for fmt in ("mp3", "ogg"):
                await asyncio.to_thread(state.assistant.listen_article, article.id, fmt)
        log.info("audio of the newest issue's articles ready")
    except Exception:  # warming is an optimisation; requests make what they need anyway
        log.exception("warming the audio cache failed")
