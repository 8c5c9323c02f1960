"""`assistant eval-beir`: retrieval quality on the user's own BEIR-format collection."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from bots.cli_support import JsonOpt, ProgressTask, emit, out, progress_display, run
from bots.settings import AppSettings


def register(app: typer.Typer) -> None:
    @app.command("eval-beir")
    def eval_beir(
        corpus: Path = typer.Argument(..., help='corpus.jsonl: one {"_id", "title", "text"} per line.'),
        queries: Path = typer.Argument(..., help='queries.jsonl: one {"_id", "text"} per line.'),
        qrels: Path = typer.Argument(
            ..., help="qrels.tsv: query-id, corpus-id, score (header line; score > 0 is relevant)."
        ),
        as_json: bool = JsonOpt,
        run_out: Path | None = typer.Option(None, "--run-out", help="Write the ranking in TREC run format."),
        top_k: int = typer.Option(100, "--top-k", min=1, max=100, help="Documents retrieved per query."),
    ):
        """Measure search on a BEIR-format collection: nDCG@10, Recall@10/100, MRR@10.

        The collection is indexed by this project's own pipeline in a temporary folder,
        removed afterwards; your index is not touched."""
        from evals import beir

        def action():
            started = time.perf_counter()
            docs = beir.load_corpus(corpus)
            asked = beir.load_queries(queries)
            judged = beir.load_qrels(qrels, asked)
            with progress_display() as progress:
                bars = ProgressTask(progress, "indexing"), ProgressTask(progress, "searching")
                result = beir.run_collection(docs, asked, judged, AppSettings(), top_k, *bars)
            if run_out:
                beir.write_trec(result.rankings, run_out)
            return result, judged, time.perf_counter() - started

        result, judged, total = run(action)
        metrics = beir.evaluate(result.rankings, judged)
        if as_json:
            emit(
                {
                    **metrics,
                    "docs": result.docs,
                    "queries": len(result.rankings),
                    "ingest_seconds": round(result.ingest_seconds, 2),
                    "search_seconds": round(result.search_seconds, 2),
                }
            )
            return
        gain = "graded (qrel score as gain)" if beir.is_graded(judged) else "binary (every qrel score is 1)"
        out.print(f"{result.docs} documents · {len(result.rankings)} judged queries · nDCG {gain}")
        out.print(" · ".join(f"{name} {value:.4f}" for name, value in metrics.items()))
        per_query = 1000 * result.search_seconds / max(1, len(result.rankings))
        out.print(
            f"ingest {result.ingest_seconds:.1f} s · search {result.search_seconds:.1f} s "
            f"({per_query:.0f} ms/query) · total {total:.1f} s"
        )
        if run_out:
            out.print(f"run written to {run_out}")
