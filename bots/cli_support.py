"""What every `assistant` subcommand shares: the consoles, the JSON printer, and the rule
that domain errors become one line on stderr (the common error policy's wording plus a
pointer to the command that helps) and exit 1."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from bots.common.errors import UserError, user_error
from bots.settings import AppSettings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOpt = typer.Option(False, "--json", help="Print one JSON object instead of text.")
HINTS = {  # the command that helps, by what the error is about
    "article": " (see `assistant search`)",
    "week": " (see `assistant issues`)",
    "voice": " (see `assistant voices`)",
    "speech_engine": ": see `assistant voices`",
    "index_in_use": " (`assistant serve` runs the web chat and the Telegram bot in one process)",
}


def make_assistant(one_shot: bool = False, **changes: Any):
    """An assistant for one command, with settings ``changes``; ``one_shot``: it answers or
    searches once and exits (RetrievalSettings.one_shot)."""
    from assistant import Assistant

    if one_shot:
        changes["one_shot"] = True
    settings = AppSettings()
    return Assistant(settings.replace(**changes) if changes else settings)


def run(action: Callable[[], Any]) -> Any:
    """Domain errors become one line and exit 1; only a bug shows a traceback."""
    try:
        return action()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except Exception as exc:
        problem = user_error(exc)
        if problem.kind == "internal":
            raise
        err.print(f"[red]error:[/red] {escape(error_line(problem))}", markup=True, highlight=False)
        raise typer.Exit(1) from None


def error_line(problem: UserError) -> str:
    return problem.detail + HINTS.get(problem.about or "", "")


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")


class ProgressTask:
    """One task of a rich progress display; what the ingest's Progress protocol calls (start, advance)."""

    def __init__(self, progress, label: str):
        self._progress, self._task = progress, progress.add_task(label, total=None)

    def start(self, total: int) -> None:
        self._progress.update(self._task, total=total)

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


def progress_display():
    """One display on stderr (stdout stays clean for --json); rich allows one live display at a time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
