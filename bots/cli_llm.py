"""The language-model side of the command line: `ask --mode`, live streaming of an answer on
a terminal, its notice, `eval --answer-mode` and `assistant llm-serve`."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum

import typer
from rich.markup import escape

from assistant.models import Answer
from assistant.settings import AnswerMode
from assistant.streaming import final_answer
from bots.cli_support import emit, err, make_assistant, out, run
from bots.settings import AppSettings

ModeOpt = typer.Option(
    None, "--mode", help="Default: ASSISTANT_ANSWER_MODE. See docs/generated-answers.md.", show_default=False
)
# `eval --answer-mode`: the answer modes whose answers can be checked (auto is one or the other).
CheckedMode = StrEnum("CheckedMode", {m.name: m.value for m in AnswerMode if m is not AnswerMode.AUTO})


def assistant_for(mode: AnswerMode | None, one_shot: bool = False):
    """An assistant for one command that answers, in ``mode`` when given."""
    return make_assistant(one_shot, **({"answer_mode": mode} if mode else {}))


def stream_answer(items: Iterator[str | Answer], live: bool) -> Answer:
    """The final answer. On a terminal the text streams on stderr meanwhile (transient: stdout
    gets only the checked answer, which may differ from what streamed)."""
    if not (live and err.is_terminal):
        return final_answer(items)
    from rich.live import Live
    from rich.text import Text

    streamed: list[str] = []
    with Live(Text(""), console=err, transient=True, refresh_per_second=8) as view:

        def show(delta: str) -> None:
            streamed.append(delta)
            view.update(Text("".join(streamed), style="dim"))

        return final_answer(items, show)


def print_notice(answer: Answer) -> None:
    """Why the answer is what it is (a fallback, sentences left out), on stderr under the answer."""
    if answer.notice:
        err.print(f"[yellow]note:[/yellow] {escape(answer.notice)}", markup=True, highlight=False)


def llm_serve(
    port: int = typer.Option(8080, "--port", "-p", min=1, max=65535, help="Port on 127.0.0.1."),
    threads: int = typer.Option(
        1, "--threads", min=1, max=64, help="Generation threads (1 is fastest on 2 shared cores)."
    ),
):
    """Serve the bundled small model (SmolLM2-135M) on 127.0.0.1 through llama.cpp's OpenAI-compatible server."""
    import signal

    from assistant.local_llm import MODEL_ALIAS, LocalServer

    def action() -> LocalServer:
        return LocalServer(port, threads).start()

    server = run(action)
    # A plain SIGTERM would end this process and orphan the server: stop it first. (signal.signal
    # accepts SIGTERM on Windows too, where nothing sends it: a kill there cannot be caught.)
    signal.signal(signal.SIGTERM, _interrupt)
    out.print(f"serving {MODEL_ALIAS} at {server.base_url} (Ctrl-C stops it). In another shell:")
    out.print(f"  export ASSISTANT_LLM_BASE_URL={server.base_url} ASSISTANT_LLM_MODEL={MODEL_ALIAS}")
    out.print(
        "  export ASSISTANT_LLM_SOURCES=3 ASSISTANT_LLM_SOURCE_WORDS=120 ASSISTANT_LLM_MAX_TOKENS=200  # short prompts"
    )
    out.print("A 135M model is weak: expect most answers to fall back to quotes from the digest.")
    try:
        code = server.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        server.stop()
    raise typer.Exit(code)


def eval_answers(split: str, mode: str, local_llm: bool, limit: int | None, as_json: bool) -> None:
    from evals.answers import format_text, run_answer_check

    check = run(lambda: run_answer_check(split, AppSettings(), mode, limit, local_llm))  # type: ignore[arg-type]
    if as_json:
        emit(check.model_dump(mode="json", exclude={"results"}))
    else:
        out.print(format_text(check), markup=False)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    app.command("llm-serve")(llm_serve)
