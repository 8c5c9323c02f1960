"""`assistant telegram`: run the Telegram bot until Ctrl-C."""

from __future__ import annotations

import asyncio
import logging

import typer

from bots.cli_support import err, run
from bots.settings import AppSettings


def telegram(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each update handled (DEBUG)."),
):
    """Run the Telegram bot (token from TELEGRAM_BOT_TOKEN): answers, voice notes and the weekly push."""
    settings = AppSettings()
    if not settings.telegram.token_value:
        err.print(
            "[red]error:[/red] no Telegram bot token: set TELEGRAM_BOT_TOKEN (or ASSISTANT_TELEGRAM_TOKEN) "
            "to the token from @BotFather.",
            markup=True,
            highlight=False,
        )
        raise typer.Exit(1)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    def action() -> None:
        from bots.host import serve

        asyncio.run(serve(settings, ["telegram"]))

    run(action)


def register(app: typer.Typer) -> None:
    app.command()(telegram)
