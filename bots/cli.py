"""The `assistant` command: one more channel over the Assistant facade.

Contract (scripts and tests rely on it): `--json` prints one JSON object on stdout;
exit 0 on success, 2 on bad usage, 1 on failure with one clear line on stderr.
"""

from __future__ import annotations

import typer
from rich.markup import escape

from assistant.models import Answer, AnswerOrder, Article, Hit, IntegrityReport, IssueListing, SearchFilters
from assistant.settings import AnswerMode
from bots import cli_audio, cli_beir, cli_evals, cli_llm, cli_telegram, cli_web, logs
from bots.cli_support import JsonOpt, ProgressTask, err, out, progress_display
from bots.cli_support import emit as _emit
from bots.cli_support import make_assistant as _assistant
from bots.cli_support import run as _run
from bots.common.formatting import citation_line, citation_links
from bots.inputs import search_filters
from bots.shapes import answer_json, article_json, hit_json, listing_json

app = typer.Typer(
    add_completion=True,  # --install-completion / --show-completion: typer's own, a few ms at start
    no_args_is_help=True,
    help="Ask Informed i's Weekly Business Insights: ingest the digest, search it, get cited answers.",
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"assistant {version('informedi-assistant')}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    show_version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        show_default=False,
        help="Log more: -v one level below the command's default (WARNING; INFO for web, serve, telegram, "
        "llm-serve), -vv two.",
    ),
    log_level: logs.LogLevel | None = typer.Option(
        None, "--log-level", case_sensitive=False, help="Log at this level (overrides -v)."
    ),
) -> None:
    """Ask Informed i's Weekly Business Insights: ingest the digest, search it, get cited answers."""
    logs.configure(log_level, verbose, long_running=ctx.invoked_subcommand in logs.LONG_RUNNING)


TopKOpt = typer.Option(None, "--top-k", "-k", min=1, max=100, help="How many articles.")
WeekOpt = typer.Option(None, "--week", help="A week (373) or a range (370-373).")
SinceOpt = typer.Option(None, "--since", help="Articles dated on or after YYYY-MM-DD.")
UntilOpt = typer.Option(None, "--until", help="Articles dated on or before YYYY-MM-DD.")
MagazineOpt = typer.Option(None, "--magazine", help="Only this magazine (case and a leading 'The' ignored).")
AuthorOpt = typer.Option(None, "--author", help="Only this author.")
TopicOpt = typer.Option(None, "--topic", help="Only articles with this topic.")


def _filters(week, since, until, magazine, author, topic) -> SearchFilters:
    return search_filters(
        week, since, until, magazine, author, topic, names={"week": "--week", "since": "--since", "until": "--until"}
    )


# --- commands ---------------------------------------------------------------------------
@app.command()
def ingest(
    sources: list[str] = typer.Argument(None, help="Files, folders or http(s) URLs. None: the bundled sample digest."),
    as_json: bool = JsonOpt,
):
    """Read digest pages (text, HTML, WordPress JSON, JSONL) into the index. Unchanged input is skipped."""

    def action():
        from index import ingest as index_sources  # the write path loads only for this command

        with _assistant() as assistant:
            if as_json:
                return index_sources(assistant, sources)
            with progress_display() as display:
                return index_sources(assistant, sources, progress=ProgressTask(display, "indexing"))

    report = _run(action)
    if as_json:
        _emit(report.model_dump(mode="json"))
    else:
        out.print(
            f"added {report.added} · updated {report.updated} · unchanged {report.unchanged} · "
            f"removed {report.removed} · failed sources {report.failed} · {report.articles_total} articles in the index"
        )
        for failure in report.errors:
            err.print(f"[yellow]skipped[/yellow] {failure.source}: {failure.error}", markup=True)
        for problem in report.problems:
            err.print(f"[yellow]check[/yellow] {escape(problem)} (see `assistant check`)", markup=True)
    if report.failed and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(1)


@app.command()
def ask(
    question: str = typer.Argument(..., help="A question about the digest."),
    as_json: bool = JsonOpt,
    week: str | None = WeekOpt,
    since: str | None = SinceOpt,
    until: str | None = UntilOpt,
    magazine: str | None = MagazineOpt,
    author: str | None = AuthorOpt,
    topic: str | None = TopicOpt,
    mode: AnswerMode | None = cli_llm.ModeOpt,
    order: AnswerOrder | None = typer.Option(
        None,
        "--order",
        help="relevance: the best source first. time: one point per issue, oldest first. "
        "Default: time when the question asks how a view changed, else relevance.",
    ),
):
    """Answer a question from the digest, with numbered citations."""

    def action() -> Answer:
        filters = _filters(week, since, until, magazine, author, topic)
        with cli_llm.assistant_for(mode, one_shot=True) as assistant:
            assistant.preload(question)
            stream = assistant.ask_stream(question, filters=filters, order=order)
            return cli_llm.stream_answer(stream, live=not as_json)

    answer = _run(action)
    if as_json:
        _emit(answer_json(answer))
        return
    out.print(answer.text)
    cli_llm.print_notice(answer)
    if answer.citations:
        out.print()
        for c in answer.citations:
            out.print(citation_line(c))
            for link in citation_links(c):
                out.print(f"    {link}")


@app.command()
def search(
    query: str = typer.Argument(..., help="Words or a question."),
    as_json: bool = JsonOpt,
    top_k: int | None = TopKOpt,
    week: str | None = WeekOpt,
    since: str | None = SinceOpt,
    until: str | None = UntilOpt,
    magazine: str | None = MagazineOpt,
    author: str | None = AuthorOpt,
    topic: str | None = TopicOpt,
):
    """Find articles (hybrid keyword + meaning search), without composing an answer."""

    def action() -> list[Hit]:
        filters = _filters(week, since, until, magazine, author, topic)
        with _assistant(one_shot=True) as assistant:
            assistant.preload(query)
            return assistant.search(query, filters=filters, top_k=top_k)

    hits = _run(action)
    if as_json:
        _emit({"query": query, "hits": [hit_json(h) for h in hits]})
        return
    if not hits:
        out.print("No matching articles.")
    for i, hit in enumerate(hits, start=1):
        a = hit.article
        out.print(f"{i}. {a.title}  [dim]({a.id})[/dim]", markup=True)
        out.print(f"   {_issue_line(a)} · {a.byline}")


@app.command()
def show(
    article_id: str = typer.Argument(..., help="An article id (see `assistant search`)."), as_json: bool = JsonOpt
):
    """Print a whole article: takeaways, topics, summary and links."""

    def action() -> Article:
        with _assistant() as assistant:
            return assistant.show(article_id)

    article = _run(action)
    if as_json:
        _emit(article_json(article))
        return
    out.print(f"[bold]{article.title}[/bold]", markup=True)
    out.print(article.byline)
    out.print(_issue_line(article))
    if article.takeaways:
        out.print(f"\n{len(article.takeaways)} key takeaways")
        for t in article.takeaways:
            out.print(f" - {t}")
    if article.topics:
        out.print("\nTopics: " + ", ".join(article.topics))
    out.print()
    for paragraph in article.summary:
        out.print(paragraph + "\n")
    for label, link in (("Read", article.url), ("Listen", article.listen_url), ("Issue", article.issue.url)):
        if link:
            out.print(f"{label}: {link}")


@app.command("issues")
def list_issues(as_json: bool = JsonOpt):
    """List the weeks in the index, newest first."""

    def action() -> list[IssueListing]:
        with _assistant() as assistant:
            return assistant.issues()

    listings = _run(action)
    if as_json:
        _emit({"issues": [listing_json(x) for x in listings]})
        return
    if not listings:
        out.print("The index is empty: run `assistant ingest`.")
    for x in listings:
        out.print(f"[bold]{x.issue.label}[/bold] · {len(x.articles)} articles", markup=True)
        for a in x.articles:
            out.print(f"   {a.title}  [dim]{a.magazine or ''} · {a.id}[/dim]", markup=True)


@app.command()
def forget(article_id: str = typer.Argument(..., help="The id of the article to remove.")):
    """Remove one article and its passages from the index."""

    def action() -> Article:
        with _assistant() as assistant:
            return assistant.forget(article_id)

    article = _run(action)
    out.print(f"removed {article.id}: {article.title}")


@app.command()
def check(
    repair: bool = typer.Option(
        False, "--repair", help="Fix what needs no re-embedding: the revision, keyword index, orphans, metadata."
    ),
    quick: bool = typer.Option(False, "--quick", help="Only the checks ingest runs: counts, revision, keyword index."),
    as_json: bool = JsonOpt,
):
    """Check that the index is whole and consistent. Exit 1 when it is not."""

    def action() -> IntegrityReport:
        with _assistant() as assistant:
            return assistant.check(full=not quick, repair=repair)

    report = _run(action)
    if as_json:
        _emit({**report.model_dump(mode="json"), "ok": report.ok})
    else:
        kind = "quick check" if not report.full else "check"
        out.print(
            f"{kind} of {report.location}: {report.articles} articles · {report.passages} passages · "
            f"model {report.embedding_model}"
        )
        for done in report.repaired:
            out.print(f"[green]repaired[/green] {done}", markup=True)
        for f in report.findings:
            colour = "red" if f.severity == "error" else "yellow"
            out.print(f"[{colour}]{f.severity}[/{colour}] {f.kind}: {escape(f.problem)}", markup=True)
            out.print(f"   fix: {f.fix}", markup=False)
            if f.ids:
                out.print(f"   e.g. {', '.join(f.ids[:5])}", markup=False)
        if not report.findings:
            out.print("[green]ok[/green]: nothing found", markup=True)
    if not report.ok:
        raise typer.Exit(1)


def _issue_line(a: Article) -> str:
    return a.issue.label or "no issue"


cli_audio.register(app)  # listen, voices
cli_telegram.register(app)  # telegram
cli_web.register(app)  # web, serve
cli_llm.register(app)  # llm-serve
cli_beir.register(app)  # eval-beir
cli_evals.register(app)  # eval, bench


def main() -> None:
    app()


if __name__ == "__main__":
    main()
