"""`assistant web` (the web chat) and `assistant serve` (every channel that is on, in one process)."""

from __future__ import annotations

import asyncio

import typer

from bots.cli_support import err, run
from bots.settings import AppSettings

HostOpt = typer.Option(None, "--host", help="Address to bind (default ASSISTANT_WEB_HOST, 127.0.0.1).")
PortOpt = typer.Option(None, "--port", "-p", min=1, max=65535, help="Port (default ASSISTANT_WEB_PORT, 7860).")


def _settings(host: str | None, port: int | None) -> AppSettings:
    settings = AppSettings()
    updates = {k: v for k, v in (("web_host", host), ("web_port", port)) if v is not None}
    return settings.replace(**updates) if updates else settings


def _run(settings: AppSettings, channels: list[str] | None) -> None:
    from bots.host import serve

    err.print(f"web chat on http://{settings.web.host}:{settings.web.port}/")

    def action() -> None:
        try:
            asyncio.run(serve(settings, channels))
        except KeyboardInterrupt:
            pass

    run(action)


def web(host: str | None = HostOpt, port: int | None = PortOpt):
    """Start the web chat (Gradio) with its JSON API, audio and podcast feed."""
    _run(_settings(host, port), ["web"])


def serve(host: str | None = HostOpt, port: int | None = PortOpt):
    """Start the web chat and every other channel that is configured (the Telegram bot when
    TELEGRAM_BOT_TOKEN is set), in one process."""
    _run(_settings(host, port), None)


def register(app: typer.Typer) -> None:
    app.command()(web)
    app.command()(serve)
