"""What every `assistant` subcommand shares: the consoles, the JSON printer, and the rule
that domain errors become one line on stderr and exit 1."""

from __future__ import annotations

import json
import sys
from typing import Any, Callable

import typer
from rich.console import Console

from assistant.errors import AssistantError
from assistant.settings import Settings

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

JsonOpt = typer.Option(False, "--json", help="Print one JSON object instead of text.")


def make_assistant():
    from assistant import Assistant

    return Assistant(Settings())


def run(action: Callable[[], Any]) -> Any:
    """Domain errors become one line and exit 1; nothing shows a traceback."""
    try:
        return action()
    except AssistantError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
