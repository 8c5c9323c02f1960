"""How long a cold process takes to open the saved keyword index, by index size.

``python -m evals.keyword_load --sizes 20000,100000`` builds the keyword index of a synthetic
digest of each size (evals/synthetic.py, the bench's corpus), saves it as the assistant does,
then, in a fresh process each time, times ``KeywordIndex.load`` and the first keyword search
(which touches the memory-mapped pages it needs). Prints one line per size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from assistant.keyword import KeywordIndex
t1 = time.perf_counter()
index = KeywordIndex.load(__import__("pathlib").Path(sys.argv[1]))
t2 = time.perf_counter()
hits = index.search("tariffs and manufacturing jobs", 50)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "first_search_s": t3 - t2, "hits": len(hits)}))
"""


def build(n_articles: int, folder: Path) -> dict:
    from assistant.filters import filter_metadata
    from assistant.keyword import KeywordIndex
    from evals.synthetic import write_corpus
    from index.documents import SourceDocument
    from index.parse import parse_document
    from index.passages import split_article

    corpus = write_corpus(folder / "corpus.jsonl", n_articles)
    articles = parse_document(
        SourceDocument(name=corpus.name, kind="jsonl", content=corpus.read_text(encoding="utf-8"))
    )
    ids, texts, metas = [], [], []
    for article in articles:
        for p in split_article(article):
            ids.append(p.id)
            texts.append(p.text)
            metas.append({**filter_metadata(article), "seq": p.seq, "kind": p.kind})
    started = time.perf_counter()
    index = KeywordIndex.build("bench", ids, texts, metas)
    built = time.perf_counter() - started
    index.save(folder / "index")
    size = sum(f.stat().st_size for f in (folder / "index").rglob("*") if f.is_file())
    return {"articles": len(articles), "passages": len(ids), "build_s": built, "bytes": size}


def measure(sizes: list[int]) -> list[dict]:
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="keyword-load-") as tmp:
            row = build(n, Path(tmp))
            done = subprocess.run(
                [sys.executable, "-c", _PROBE, str(Path(tmp) / "index")], capture_output=True, text=True, check=True
            )
            row.update(json.loads(done.stdout))
            rows.append(row)
            print(
                f"{row['articles']:>7} articles · {row['passages']:>7} passages · "
                f"{row['bytes'] / 1e6:7.1f} MB on disk · build {row['build_s']:6.2f} s · "
                f"load {row['load_s'] * 1000:7.1f} ms · first search {row['first_search_s'] * 1000:7.1f} ms",
                flush=True,
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000", help="Article counts, comma-separated.")
    args = parser.parse_args(argv)
    measure([int(x) for x in args.sizes.split(",")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
