"""`assistant telegram`: run the Telegram bot until Ctrl-C."""

from __future__ import annotations

import asyncio

import typer

from bots import logs
from bots.cli_support import err, run
from bots.settings import AppSettings


def telegram(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Log each update handled: the same as `assistant --log-level debug telegram`."
    ),
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
    if verbose:  # kept for the scripts that use it; logging itself was set up by the `assistant` callback
        logs.configure(logs.LogLevel.DEBUG)

    def action() -> None:
        from bots.host import serve

        asyncio.run(serve(settings, ["telegram"]))

    run(action)


def register(app: typer.Typer) -> None:
    app.command()(telegram)
