"""`assistant web` (the web chat) and `assistant serve` (every channel that is on, in one process,
or in ``--workers`` processes behind one port: bots/workers.py)."""

from __future__ import annotations

import asyncio

import typer

from bots.cli_support import err, run
from bots.settings import AppSettings

HostOpt = typer.Option(None, "--host", help="Address to bind (default ASSISTANT_WEB_HOST, 127.0.0.1).")
PortOpt = typer.Option(None, "--port", "-p", min=1, max=65535, help="Port (default ASSISTANT_WEB_PORT, 7860).")
WorkersOpt = typer.Option(
    None,
    "--workers",
    "-w",
    min=1,
    max=64,
    help="Web worker processes behind the port (default ASSISTANT_WEB_WORKERS, 1). Above 1 they share a "
    "Chroma server, started over the index folder unless ASSISTANT_CHROMA_HOST names one.",
)


def _settings(host: str | None, port: int | None, workers: int | None) -> AppSettings:
    settings = AppSettings()
    given = (("web_host", host), ("web_port", port), ("web_workers", workers))
    updates = {k: v for k, v in given if v is not None}
    return settings.replace(**updates) if updates else settings


def _run(settings: AppSettings, command: str, channels: list[str] | None) -> None:
    from bots.host import serve

    workers = settings.web.workers
    err.print(
        f"web chat on http://{settings.web.host}:{settings.web.port}/"
        + (f" ({workers} workers)" if workers > 1 else "")
    )

    def action() -> None:
        try:
            if workers > 1:
                from bots.workers import serve_workers

                asyncio.run(serve_workers(settings, workers, command))
            else:
                asyncio.run(serve(settings, channels))
        except KeyboardInterrupt:
            pass

    run(action)


def web(host: str | None = HostOpt, port: int | None = PortOpt, workers: int | None = WorkersOpt):
    """Start the web chat (Gradio) with its JSON API, audio and podcast feed."""
    _run(_settings(host, port, workers), "web", ["web"])


def serve(host: str | None = HostOpt, port: int | None = PortOpt, workers: int | None = WorkersOpt):
    """Start the web chat and every other channel that is configured (the Telegram bot when
    TELEGRAM_BOT_TOKEN is set), in one process, or with --workers N in N web processes (one of
    them also runs the other channels)."""
    _run(_settings(host, port, workers), "serve", None)


def register(app: typer.Typer) -> None:
    app.command()(web)
    app.command()(serve)
