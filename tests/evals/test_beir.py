"""`assistant eval-beir` on a tiny BEIR-format fixture, its metrics, and its input errors."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from evals import beir
from evals.metrics import ndcg

EXE = shutil.which("assistant")
FIXTURE = Path(__file__).parent / "fixtures" / "beir-tiny"
FILES = [str(FIXTURE / name) for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv")]


def run(tmp_path, *args, check_code=0):
    assert EXE, "the `assistant` console script is not installed (pip install -e .)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_HOME"] = str(tmp_path / "untouched")  # eval-beir must use its own temporary home
    proc = subprocess.run([EXE, "eval-beir", *args], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert proc.returncode == check_code, (proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("beir")
    proc = run(tmp, *FILES, "--json", "--run-out", str(tmp / "run.trec"))
    return tmp, json.loads(proc.stdout)


def test_json_has_exactly_the_documented_keys_and_counts(result):
    tmp, out = result
    assert set(out) == {
        "ndcg@10",
        "recall@10",
        "recall@100",
        "mrr@10",
        "docs",
        "queries",
        "ingest_seconds",
        "search_seconds",
    }
    assert out["docs"] == 12
    assert out["queries"] == 5  # q6 has no judgement, so it is not asked
    assert out["ingest_seconds"] > 0 and out["search_seconds"] > 0
    assert not (tmp / "untouched").exists()


def test_metrics_are_high_on_the_easy_fixture(result):
    _, out = result
    for name in ("ndcg@10", "recall@10", "recall@100", "mrr@10"):
        assert 0.0 <= out[name] <= 1.0
    assert out["recall@10"] == 1.0 and out["recall@100"] == 1.0
    assert out["mrr@10"] > 0.8 and out["ndcg@10"] > 0.8


def test_run_file_is_trec_format_with_beir_ids(result):
    tmp, _ = result
    lines = (tmp / "run.trec").read_text().splitlines()
    corpus_ids = {json.loads(line)["_id"] for line in (FIXTURE / "corpus.jsonl").read_text().splitlines()}
    ranks = defaultdict(list)
    for line in lines:
        qid, q0, doc_id, rank, score, name = line.split()
        assert q0 == "Q0" and name == "assistant" and doc_id in corpus_ids
        float(score)
        ranks[qid].append(int(rank))
    assert set(ranks) == {"q1", "q2", "q3", "q4", "q5"}
    for got in ranks.values():
        assert got == list(range(1, len(got) + 1)) and len(got) <= 100
    first = {line.split()[0]: line.split()[2] for line in reversed(lines)}  # rank-1 document of each query
    assert first == {"q1": "d1", "q2": "d3", "q3": "d7", "q4": "d6", "q5": "d8"}


def test_text_output_names_the_gain(tmp_path):
    text = run(tmp_path, *FILES).stdout
    assert "12 documents · 5 judged queries · nDCG graded" in text and "recall@100" in text


# --- metrics, by hand ------------------------------------------------------------------------
def test_graded_ndcg_matches_a_hand_computation():
    gains = {"a": 2, "b": 1}
    # ranked b, x, a: DCG = 1/log2(2) + 2/log2(4) = 2.0; ideal a, b: 2/1 + 1/log2(3)
    assert beir.graded_ndcg(["b", "x", "a"], gains) == pytest.approx(2.0 / (2.0 + 1 / math.log2(3)))
    assert beir.graded_ndcg(["a", "b"], gains) == pytest.approx(1.0)
    assert beir.graded_ndcg(["x", "y"], gains) == 0.0
    assert beir.graded_ndcg(["x", "a"], {"a": 1}, k=1) == 0.0


def test_graded_ndcg_is_binary_ndcg_when_every_gain_is_one():
    ranked, relevant = ["x", "a", "y", "b", "c"], {"a", "b", "z"}
    assert beir.graded_ndcg(ranked, dict.fromkeys(relevant, 1)) == pytest.approx(ndcg(ranked, relevant))


def test_evaluate_averages_over_judged_queries():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1, "c": 1}}
    rankings = {"q1": [("x", 0.9), ("a", 0.5)]}  # q2 not answered: scores 0
    got = beir.evaluate(rankings, qrels)
    assert got["mrr@10"] == 0.25 and got["recall@10"] == 0.5
    assert got["ndcg@10"] == pytest.approx(round((1 / math.log2(3)) / 2, 4))


def test_to_records_titles_untitled_documents_and_maps_ids_back():
    records, back = beir.to_records({"x 1": ("", "one two three"), "empty": ("", ""), "y": ("T", "")})
    assert [r["title"] for r in records] == ["one two three", "T"]
    assert records[1]["summary"] == "T"
    assert back == {"b0": "x 1", "b1": "y"}


def test_write_records_splits_files_under_the_size_limit(tmp_path):
    records = [{"id": f"b{i}", "title": "t", "summary": "word " * 50} for i in range(20)]
    paths = beir.write_records(records, tmp_path, max_bytes=1000)
    assert len(paths) > 1 and all(p.stat().st_size <= 1000 for p in paths)
    assert sum(len(p.read_text().splitlines()) for p in paths) == 20


# --- bad input -------------------------------------------------------------------------------
def _bad(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_malformed_corpus_line_names_its_line(tmp_path):
    corpus = _bad(tmp_path, "corpus.jsonl", '{"_id": "d1", "text": "fine"}\n\n{"_id": "d2", "text": \n')
    proc = run(tmp_path, corpus, FILES[1], FILES[2], check_code=1)
    assert "line 3: invalid JSON" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_file_is_one_line(tmp_path):
    proc = run(tmp_path, str(tmp_path / "nope.jsonl"), FILES[1], FILES[2], check_code=1)
    assert "nope.jsonl: no such file" in proc.stderr


def test_empty_corpus_is_refused(tmp_path):
    proc = run(tmp_path, _bad(tmp_path, "corpus.jsonl", "\n"), FILES[1], FILES[2], check_code=1)
    assert "the corpus is empty" in proc.stderr


def test_qrels_for_an_unknown_query_are_refused(tmp_path):
    qrels = _bad(tmp_path, "qrels.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq99\td2\t1\n")
    proc = run(tmp_path, FILES[0], FILES[1], qrels, check_code=1)
    assert "line 3: query 'q99' is not in the queries file" in proc.stderr


def test_loaders_raise_domain_errors(tmp_path):
    with pytest.raises(beir.EvalInputError, match="line 1: missing or empty field 'text'"):
        beir.load_queries(Path(_bad(tmp_path, "q.jsonl", '{"_id": "q1"}\n')))
    with pytest.raises(beir.EvalInputError, match="line 2: duplicate _id 'd1'"):
        beir.load_corpus(Path(_bad(tmp_path, "c.jsonl", '{"_id": "d1", "text": "a"}\n{"_id": "d1", "text": "b"}\n')))
    with pytest.raises(beir.EvalInputError, match="line 2: score 'high' is not a number"):
        beir.load_qrels(Path(_bad(tmp_path, "r.tsv", "query-id\tcorpus-id\tscore\nq1\td1\thigh\n")), {"q1": "x"})
