"""`assistant telegram`: run the Telegram bot until Ctrl-C."""

from __future__ import annotations

import logging

import typer

from assistant.settings import Settings
from bots.cli_support import err, run


def telegram(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each update handled (DEBUG)."),
):
    """Run the Telegram bot (token from TELEGRAM_BOT_TOKEN): answers, voice notes and the weekly push."""
    settings = Settings()
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value().strip():
        err.print("[red]error:[/red] no Telegram bot token: set TELEGRAM_BOT_TOKEN (or ASSISTANT_TELEGRAM_TOKEN) "
                  "to the token from @BotFather.", markup=True, highlight=False)
        raise typer.Exit(1)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def action() -> None:
        from assistant import Assistant
        from bots.telegram import TelegramBot

        with Assistant(settings) as assistant:
            TelegramBot(assistant, settings).run()

    run(action)


def register(app: typer.Typer) -> None:
    app.command()(telegram)
