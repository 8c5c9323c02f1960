"""`assistant listen` and `assistant voices`: the digest as audio files."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import typer

from assistant.models import AudioClip, AudioFormat, clock
from bots.cli_support import JsonOpt, emit, err, make_assistant, out, run

SUFFIXES = {**{f.value: f for f in AudioFormat}, "opus": AudioFormat.OGG}  # -o's suffix, when --format is not given


def listen(
    article_id: str | None = typer.Argument(None, help="An article id (see `assistant search`)."),
    week: int | None = typer.Option(None, "--week", help="The whole issue of this week, as one episode."),
    text: str | None = typer.Option(None, "--text", help="Speak this text ('-' reads standard input)."),
    full: bool = typer.Option(False, "--full", help="With --week: add each article's summary."),
    fmt: AudioFormat | None = typer.Option(
        None, "--format", "-f", case_sensitive=False, help="ogg is Opus. Default: from -o's suffix, else mp3."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the audio here (else print its cache path)."
    ),
    as_json: bool = JsonOpt,
):
    """Make audio of an article, a whole weekly issue (with chapters) or any text."""
    chosen = [x for x in (article_id, week, text) if x is not None]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of: an article id, --week N, or --text TEXT")
    fmt = _format(fmt, output)
    if text == "-":
        text = sys.stdin.read()

    def action() -> AudioClip:
        with make_assistant() as assistant:
            if week is not None:
                return assistant.listen_issue(week, fmt, full=full)
            if text is not None:
                return assistant.listen_text(text, fmt)
            return assistant.listen_article(article_id, fmt)

    clip = run(action)
    path, chapters_path = Path(clip.path), None
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(clip.path, output)
            if clip.chapters:
                chapters_path = output.with_name(output.stem + ".chapters.json")
                chapters_path.write_text(json.dumps(podcast_chapters(clip), indent=1), encoding="utf-8")
        except OSError as exc:
            err.print(f"[red]error:[/red] could not write {output}: {exc.strerror or exc}", markup=True)
            raise typer.Exit(1) from None
        path = output
    if as_json:
        emit({**clip.model_dump(mode="json"), "path": str(path), "chapters_file": chapters_path and str(chapters_path)})
        return
    source = "cache" if clip.cached else clip.engine
    out.print(
        f"{path} · {clock(clip.duration)} · {clip.format} {clip.sample_rate // 1000} kHz · {source} · {clip.voice}"
    )
    for chapter in clip.chapters:
        out.print(f"  {clock(chapter.start)}  {chapter.title}")
    if chapters_path:
        out.print(f"chapters: {chapters_path}")


def voices(
    show_all: bool = typer.Option(False, "--all", help="List every voice, not only English ones."),
    as_json: bool = JsonOpt,
):
    """List the speech engines, whether each runs on this machine, and their voices."""

    def action():
        with make_assistant() as assistant:
            return assistant.voices(), assistant.settings

    infos, settings = run(action)
    english = lambda v: show_all or v.language.startswith("en") or v.id.split("/")[-1].startswith("en")  # noqa: E731
    if as_json:
        emit(
            {
                "engine": settings.speech.engine,
                "voice": settings.speech.voice,
                "rate": settings.speech.rate,
                "engines": [
                    {
                        "name": i.name,
                        "available": i.available,
                        "detail": i.detail,
                        "voices": [
                            {"id": v.id, "name": v.name, "language": v.language} for v in i.voices if english(v)
                        ],
                    }
                    for i in infos
                ],
            }
        )
        return
    for info in infos:
        mark = "[green]✓[/green]" if info.available else "[red]✗[/red]"
        chosen = " (selected)" if info.name == settings.speech.engine else ""
        out.print(f"{mark} [bold]{info.name}[/bold]{chosen} · {info.detail}", markup=True)
        shown = [v for v in info.voices if english(v)]
        for v in shown:
            star = "*" if v.id == settings.speech.voice.lower() else " "
            out.print(f"   {star} {v.id:<28} {v.name}")
        if len(shown) < len(info.voices):
            out.print(f"     … and {len(info.voices) - len(shown)} more (--all)")


def podcast_chapters(clip: AudioClip) -> dict:
    """Chapters in the Podcasting 2.0 JSON format, which podcast apps read."""
    return {"version": "1.2.0", "chapters": [{"startTime": c.start, "title": c.title} for c in clip.chapters]}


def _format(fmt: AudioFormat | None, output: Path | None) -> AudioFormat:
    if fmt is None and output is not None:
        fmt = SUFFIXES.get(output.suffix.lower().lstrip("."))
    return fmt or AudioFormat.MP3


def register(app: typer.Typer) -> None:
    app.command()(listen)
    app.command()(voices)
