"""`assistant web` (the web chat) and `assistant serve` (web chat + Telegram bot, one process)."""

from __future__ import annotations

import asyncio
import logging
from typing import Optional

import typer

from assistant.settings import Settings
from bots.cli_support import err

HostOpt = typer.Option(None, "--host", help="Address to bind (default ASSISTANT_WEB_HOST, 127.0.0.1).")
PortOpt = typer.Option(None, "--port", "-p", min=1, max=65535, help="Port (default ASSISTANT_WEB_PORT, 7860).")


def _settings(host: str | None, port: int | None) -> Settings:
    settings = Settings()
    updates = {k: v for k, v in (("web_host", host), ("web_port", port)) if v is not None}
    return settings.model_copy(update=updates) if updates else settings


def _run(settings: Settings, telegram: bool) -> None:
    from bots.web.server import serve

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore"):  # they log request URLs, which for Telegram contain the token
        logging.getLogger(noisy).setLevel(logging.WARNING)
    err.print(f"web chat on http://{settings.web_host}:{settings.web_port}/")
    try:
        asyncio.run(serve(settings, telegram))
    except KeyboardInterrupt:
        pass


def web(host: Optional[str] = HostOpt, port: Optional[int] = PortOpt):
    """Start the web chat (Gradio) with its JSON API, audio and podcast feed."""
    _run(_settings(host, port), telegram=False)


def serve(host: Optional[str] = HostOpt, port: Optional[int] = PortOpt):
    """Start the web chat and, when TELEGRAM_BOT_TOKEN is set, the Telegram bot, in one process."""
    _run(_settings(host, port), telegram=True)


def register(app: typer.Typer) -> None:
    app.command()(web)
    app.command()(serve)
