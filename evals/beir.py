"""Retrieval quality on any BEIR-format collection, through the project's own pipeline.

A BEIR collection is three files: ``corpus.jsonl`` (``{"_id","title","text"}``),
``queries.jsonl`` (``{"_id","text"}``) and ``qrels.tsv`` (``query-id<TAB>corpus-id<TAB>score``
after a header line; score > 0 is relevant). The corpus is turned into the JSONL article
records the ingest reads, indexed by :class:`assistant.Assistant` in a throwaway home, and
every judged query is searched. Metrics follow BEIR: nDCG@10 with the qrel score as the gain
(graded; the same as binary nDCG when every score is 1), Recall@10, Recall@100, MRR@10.
"""

from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import AssistantError
from evals.metrics import recall, reciprocal_rank
from index import ingest

TITLE_WORDS = 12  # a document without a title is titled by its first words (the parser needs one)
RUN_DEPTH = 100  # documents per query in the TREC run file, as BEIR evaluates


class EvalInputError(AssistantError):
    """A BEIR input file is missing or malformed. ``str(err)`` names the file and line."""


# --- loading ------------------------------------------------------------------------------
def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.is_file():
        raise EvalInputError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                yield n, line


def _jsonl(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict]]:
    """Each record of a JSONL file, with its line number; a bad line fails the whole file."""
    for n, line in _lines(path):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{path}: line {n}: invalid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(rec, dict):
            raise EvalInputError(f"{path}: line {n}: expected a JSON object")
        for key in required:
            value = rec.get(key)
            if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
                raise EvalInputError(f"{path}: line {n}: missing or empty field '{key}'")
        yield n, rec


def load_corpus(path: Path) -> dict[str, tuple[str, str]]:
    """BEIR id -> (title, text). Duplicate ids are an error: the qrels could not tell them apart."""
    corpus: dict[str, tuple[str, str]] = {}
    first: dict[str, int] = {}
    for n, rec in _jsonl(path, ["_id"]):
        doc_id = str(rec["_id"]).strip()
        if doc_id in first:
            raise EvalInputError(f"{path}: line {n}: duplicate _id {doc_id!r} (first on line {first[doc_id]})")
        first[doc_id] = n
        corpus[doc_id] = (str(rec.get("title") or "").strip(), str(rec.get("text") or "").strip())
    if not corpus:
        raise EvalInputError(f"{path}: the corpus is empty")
    return corpus


def load_queries(path: Path) -> dict[str, str]:
    queries = {str(rec["_id"]).strip(): str(rec["text"]).strip() for _, rec in _jsonl(path, ["_id", "text"])}
    if not queries:
        raise EvalInputError(f"{path}: no queries")
    return queries


def load_qrels(path: Path, queries: Mapping[str, str]) -> dict[str, dict[str, int]]:
    """query id -> {doc id: score > 0}. Zero scores (judged non-relevant) are dropped, as in BEIR."""
    qrels: dict[str, dict[str, int]] = {}
    for n, line in _lines(path):
        cols = line.rstrip("\n").split("\t") if "\t" in line else line.split()
        cols = [c.strip() for c in cols]
        if len(cols) == 4:  # TREC qrels: qid 0 docid score
            cols = [cols[0], cols[2], cols[3]]
        if len(cols) != 3:
            raise EvalInputError(f"{path}: line {n}: expected 'query-id<TAB>corpus-id<TAB>score'")
        qid, doc_id, score = cols
        try:
            value = int(float(score))
        except ValueError:
            if n == 1:
                continue  # the header line
            raise EvalInputError(f"{path}: line {n}: score {score!r} is not a number") from None
        if qid not in queries:
            raise EvalInputError(f"{path}: line {n}: query {qid!r} is not in the queries file")
        if value > 0:
            qrels.setdefault(qid, {})[doc_id] = value
    if not qrels:
        raise EvalInputError(f"{path}: no relevant (score > 0) judgements")
    return qrels


# --- conversion to the ingest's article records ------------------------------------------
def to_records(corpus: Mapping[str, tuple[str, str]]) -> tuple[list[dict], dict[str, str]]:
    """Article records for the ingest, and article id -> BEIR id.

    Records get positional ids (``b0``, ``b1``...) because the parser cleans ids (spaces
    collapse) and BEIR ids may be anything. Documents with neither title nor text are
    skipped: they cannot be retrieved, and the qrels count them as misses."""
    records, back = [], {}
    for doc_id, (title, text) in corpus.items():
        if not (title or text):
            continue
        article_id = f"b{len(records)}"
        title = title or " ".join(text.split()[:TITLE_WORDS])
        records.append({"id": article_id, "title": title, "summary": text or title})
        back[article_id] = doc_id
    return records, back


def write_records(records: Sequence[dict], folder: Path, max_bytes: int) -> list[Path]:
    """JSONL files of at most ``max_bytes`` each (the ingest refuses bigger files)."""
    paths: list[Path] = []
    chunk: list[str] = []
    size = 0

    def flush():
        if chunk:
            paths.append(folder / f"corpus-{len(paths):04d}.jsonl")
            paths[-1].write_text("".join(chunk), encoding="utf-8")
            chunk.clear()

    for rec in records:
        line = json.dumps(rec, ensure_ascii=False) + "\n"
        n = len(line.encode("utf-8"))
        if chunk and size + n > max_bytes:
            flush()
            size = 0
        chunk.append(line)
        size += n
    flush()
    return paths


# --- running --------------------------------------------------------------------------------
@dataclass
class BeirRun:
    rankings: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # qid -> [(BEIR doc id, score)]
    docs: int = 0
    ingest_seconds: float = 0.0
    search_seconds: float = 0.0


def run_collection(corpus, queries, qrels, settings, top_k=RUN_DEPTH, ingest_progress=None, query_progress=None):
    """Ingest ``corpus`` into a temporary home and search every judged query.

    ``settings`` is a template: its home and Chroma server are replaced so that the user's
    index is never touched. Candidates grow with ``top_k`` so the fused pool can fill it."""
    from assistant import Assistant  # lazy: loading the files needs no model

    home = Path(tempfile.mkdtemp(prefix="assistant-beir-"))
    try:
        settings = settings.replace(
            **{
                "home": home / "data",
                "chroma_host": None,
                "candidates": min(500, max(settings.retrieval.candidates, 2 * top_k)),
            }
        )
        records, back = to_records(corpus)
        (home / "records").mkdir()
        paths = write_records(records, home / "records", settings.sources.max_source_bytes // 2)
        run = BeirRun(docs=len(records))
        with Assistant(settings) as assistant:
            started = time.perf_counter()
            report = ingest(assistant, [str(p) for p in paths], progress=ingest_progress)
            run.ingest_seconds = time.perf_counter() - started
            if report.errors:
                raise EvalInputError(f"the converted corpus did not ingest: {report.errors[0].error}")
            judged = [qid for qid in queries if qid in qrels]
            if query_progress:
                query_progress.start(len(judged))
            started = time.perf_counter()
            for qid in judged:
                text = " ".join(queries[qid].split())[
                    : settings.answers.max_question_chars
                ]  # the facade refuses longer ones
                hits = assistant.search(text, None, top_k) if text else []
                run.rankings[qid] = [(back[h.article.id], h.score) for h in hits]
                if query_progress:
                    query_progress.advance()
            run.search_seconds = time.perf_counter() - started
        return run
    finally:
        shutil.rmtree(home, ignore_errors=True)


# --- metrics ---------------------------------------------------------------------------------
def graded_ndcg(ranked: Sequence[str], gains: Mapping[str, int], k: int = 10) -> float:
    """nDCG@k with the qrel score as the gain (BEIR/pytrec_eval); binary when every gain is 1."""
    dcg = sum(gains.get(d, 0) / math.log2(i + 1) for i, d in enumerate(ranked[:k], start=1))
    ideal = sum(g / math.log2(i + 1) for i, g in enumerate(sorted(gains.values(), reverse=True)[:k], start=1))
    return dcg / ideal if ideal else 0.0


def evaluate(rankings: Mapping[str, Sequence[tuple[str, float]]], qrels: Mapping[str, Mapping[str, int]]) -> dict:
    """Mean metrics over the judged queries (a judged query with no ranking scores 0)."""
    names = ("ndcg@10", "recall@10", "recall@100", "mrr@10")
    totals = dict.fromkeys(names, 0.0)
    for qid, gains in qrels.items():
        ranked = [d for d, _ in rankings.get(qid, [])]
        relevant = set(gains)
        totals["ndcg@10"] += graded_ndcg(ranked, gains, 10)
        totals["recall@10"] += recall(ranked, relevant, 10)
        totals["recall@100"] += recall(ranked, relevant, 100)
        totals["mrr@10"] += reciprocal_rank(ranked, relevant, 10)
    return {name: round(total / len(qrels), 4) for name, total in totals.items()}


def is_graded(qrels: Mapping[str, Mapping[str, int]]) -> bool:
    return any(score > 1 for gains in qrels.values() for score in gains.values())


# --- output -------------------------------------------------------------------------------
def write_trec(rankings: Mapping[str, Sequence[tuple[str, float]]], path: Path, run_name: str = "assistant") -> None:
    """``qid Q0 docid rank score run_name``, ranks from 1, at most RUN_DEPTH lines per query."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for qid, ranked in rankings.items():
            for rank, (doc_id, score) in enumerate(ranked[:RUN_DEPTH], start=1):
                fh.write(f"{qid} Q0 {doc_id} {rank} {score:.6f} {run_name}\n")


# --- a synthetic collection, to time the runner at scale -------------------------------------
def write_synthetic(folder: Path, n_docs: int = 5000, n_queries: int = 200, seed: int = 0) -> list[Path]:
    """A BEIR-format copy of ``evals.synthetic``'s digest with known-item queries: each query is
    one document's title and only that document is relevant. For timing, not for quality claims."""
    from evals.synthetic import generate

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    records = generate(n_docs, seed)
    picked = records[:: max(1, len(records) // n_queries)][:n_queries]
    paths = [folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels.tsv"]
    paths[0].write_text(
        "".join(
            json.dumps({"_id": r["id"], "title": r["title"], "text": "\n".join(r["summary"])}) + "\n" for r in records
        )
    )
    paths[1].write_text("".join(json.dumps({"_id": f"q{i}", "text": r["title"]}) + "\n" for i, r in enumerate(picked)))
    paths[2].write_text("query-id\tcorpus-id\tscore\n" + "".join(f"q{i}\t{r['id']}\t1\n" for i, r in enumerate(picked)))
    return paths


if __name__ == "__main__":  # python -m evals.beir FOLDER [N_DOCS]
    import sys

    print(*write_synthetic(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5000))
