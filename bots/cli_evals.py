"""`assistant eval` and `assistant bench`: the quality and speed figures the README quotes.

The evals package (and matplotlib, from the evals extra) is imported only inside the commands:
the other commands never load it. These commands are the evals' only command lines, so their
options here hold the only defaults (``python -m evals.bench`` runs `assistant bench`).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape

from bots import cli_llm
from bots.cli_support import JsonOpt, emit, err, out, run
from bots.settings import AppSettings


# The evals' own names for these are Literals in evals/ (quality.Split, bench_systems.System), which
# this module may not import before a command runs; tests/evals/test_layering.py checks they agree.
class GoldSplit(StrEnum):
    """Which gold questions: report (the figures quoted), tune (what thresholds were tuned on), or all."""

    REPORT = "report"
    TUNE = "tune"
    ALL = "all"


class BenchSystem(StrEnum):
    ASSISTANT = "assistant"
    ASSISTANT_SERVER = "assistant-server"
    LLAMAINDEX = "llamaindex"


def _systems(value: str) -> str:
    """`--systems a,b`: a comma-separated list, so each item is checked here (typer's choices are one value)."""
    unknown = [x.strip() for x in value.split(",") if x.strip() and x.strip() not in tuple(BenchSystem)]
    if unknown or not value.strip(" ,"):
        raise typer.BadParameter(
            f"unknown system {', '.join(unknown) or '(none)'}; choose from {', '.join(BenchSystem)}, comma-separated"
        )
    return value


def _require_plots() -> None:
    """Before a long run whose --out draws PNGs: one clear line, exit 1, if matplotlib is missing."""
    from evals.plots import PlotsUnavailable, require_matplotlib

    try:
        require_matplotlib()
    except PlotsUnavailable as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", markup=True, highlight=False)  # "[evals]" is text
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    @app.command("eval")
    def run_eval(
        split: GoldSplit = typer.Option(
            GoldSplit.REPORT, "--split", help="Gold split: report (the figures we quote), tune, or all."
        ),
        as_json: bool = JsonOpt,
        answer_mode: cli_llm.CheckedMode | None = typer.Option(
            None, "--answer-mode", help="Check answers' citations and fallbacks in this mode instead."
        ),
        local_llm: bool = typer.Option(
            False, "--local-llm", help="With --answer-mode llm: start and use the bundled model."
        ),
        limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N questions of the split."),
        output: Path | None = typer.Option(
            None,
            "--out",
            "-o",
            help="Also write the report here (.md), with .json and a .png of quality bars beside it.",
        ),
    ):
        """Measure retrieval and answers on the gold questions (indexes the sample in a temporary home)."""
        if answer_mode is not None:
            cli_llm.eval_answers(split.value, answer_mode.value, local_llm, limit, as_json)
            return
        if output:
            _require_plots()
        from evals.quality import format_text, run_on_sample, save

        report = run(lambda: run_on_sample(split.value, AppSettings()))  # type: ignore[arg-type]
        if as_json:
            emit(report.model_dump(mode="json", exclude={"results"}))
        else:
            out.print(format_text(report), markup=False)  # "[paraphrase]" is text, not a rich style
        if output:
            for path in save(report, output):
                err.print(f"wrote {path}")

    @app.command()
    def bench(
        sizes: str = typer.Option("1000,5000,20000,100000", help="Corpus sizes in articles, e.g. 1000,5000 or 1k,20k."),
        systems: str = typer.Option(
            ",".join(BenchSystem),
            metavar="[" + "|".join(BenchSystem) + "],...",
            callback=_systems,
            help="What to measure, comma-separated: assistant (embedded Chroma), assistant-server (a Chroma server "
            "on 127.0.0.1), llamaindex (the plain pipeline).",
        ),
        queries: int = typer.Option(200, min=5, help="Questions timed per size."),
        embed_up_to: int = typer.Option(
            5000,
            "--embed-up-to",
            min=1,
            help="Embed passages with the real model up to this size; pooled vectors above.",
        ),
        server_up_to: int | None = typer.Option(
            20000, "--server-up-to", min=1, help="Measure the Chroma server only up to this size."
        ),
        speech: bool = typer.Option(
            True, "--speech/--no-speech", help="Also measure speech: real-time factors, cache."
        ),
        output: Path | None = typer.Option(
            None, "--out", "-o", help="Also write the report here (.md), with .json and PNG plots beside it."
        ),
        resume: bool = typer.Option(False, "--resume", help="Keep the sizes already measured in --out's .json."),
        workdir: Path | None = typer.Option(
            None, "--workdir", help="Keep corpora and homes here instead of in a temporary folder that is removed."
        ),
        seed: int = typer.Option(0, "--seed", help="Seed of the synthetic corpus and its questions."),
        in_process: bool = typer.Option(
            False, "--in-process", help="Measure in this process instead of a fresh one per system (for profiling)."
        ),
    ):
        """Benchmark ingest, search, ask, memory and disk by corpus size, against a plain LlamaIndex pipeline."""
        from evals.bench import parse_sizes, parse_systems, run_bench, save
        from evals.bench_report import format_markdown
        from evals.bench_results import BenchResult

        try:
            size_list, chosen = parse_sizes(sizes), parse_systems(systems)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
        if output:
            _require_plots()  # before the run, not after an hour of it
        previous = None
        if resume and output and output.with_suffix(".json").exists():
            previous = BenchResult.model_validate_json(output.with_suffix(".json").read_text(encoding="utf-8"))
        result = run(
            lambda: run_bench(
                size_list,
                queries=queries,
                systems=chosen,
                embed_up_to=embed_up_to,
                server_up_to=server_up_to,
                speech=speech,
                seed=seed,
                workdir=workdir,
                progress=lambda line: err.print(line, markup=False),
                isolate=not in_process,
                on_size=(lambda partial: save(partial, output)) if output else None,
                resume=previous,
            )
        )
        out.print(format_markdown(result), markup=False)
        if output:
            for path in save(result, output):
                err.print(f"wrote {path}")
