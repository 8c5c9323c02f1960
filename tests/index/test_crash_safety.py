"""An ingest that dies between writing and bumping the revision (a crash, a full disk) must leave
nothing stale behind: the rerun finishes the job and the keyword index covers every passage.
Crashes are real: the ingest runs in its own process and dies at a named fault point
(``assistant/faults.py``); a full disk is a real, small tmpfs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import Assistant
from assistant.faults import CRASH_EXIT_CODE
from index.pipeline import SAMPLE_DIR
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
# This checkout's code, whichever copy the `assistant` console script was installed from.
COMMAND = [sys.executable, "-m", "bots.cli"]
FIRST = SAMPLE_DIR / "week-374-2024-11-08.txt"
SECOND = SAMPLE_DIR / "week-386-2025-01-31.json"


def _ingest(home: Path, *sources: Path, fault: str | None = None, check_code: int = 0) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    if fault:
        env["ASSISTANT_FAULT"] = fault
    proc = subprocess.run(
        [*COMMAND, "ingest", *map(str, sources)], capture_output=True, text=True, env=env, timeout=600, cwd=home.parent
    )
    assert proc.returncode == check_code, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def _check(home: Path, *options: str, code: int = 0) -> dict:
    """`assistant check --json` in its own process, as an operator would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [*COMMAND, "check", "--json", *options], capture_output=True, text=True, env=env, timeout=600, cwd=home.parent
    )
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    return json.loads(proc.stdout)


def _keyword_index_is_whole(home: Path) -> None:
    with Assistant(make_settings(home)) as a:
        keywords = a.keywords.get()
        assert len(keywords.passage_ids) == a.store.count_passages()
        assert not a.store.is_dirty()
        # Keyword search alone finds an article of the second source (a word only it uses).
        hits = keywords.search("Tariff threats redrawing factory maps", 5)
        assert any(pid.startswith("w386-tariff-threats") for pid, _ in hits)


FAULTS = ["ingest-after-passages", "ingest-mid-batch", "ingest-before-revision-bump"]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_crash_before_the_revision_bump_leaves_no_stale_keyword_index(tmp_path, fault):
    home = tmp_path / "home"
    _ingest(home, FIRST)  # the keyword index is built and cached for this revision
    _ingest(home, FIRST, SECOND, fault=fault, check_code=CRASH_EXIT_CODE)
    found = _check(home, code=1)  # the check sees the crash
    assert "interrupted-write" in {f["kind"] for f in found["findings"]}
    with Assistant(make_settings(home)) as a:
        assert a.store.is_dirty()  # the crash left its mark
        # Readers already see a revision their cache was not built for, so they rebuild.
        assert len(a.keywords.get().passage_ids) == a.store.count_passages()
    rerun = _ingest(home, FIRST, SECOND)
    assert "failed sources 0" in rerun.stdout and "check" not in rerun.stderr
    _keyword_index_is_whole(home)
    assert _check(home)["findings"] == []


@pytest.mark.parametrize("fault", FAULTS)
def test_check_repair_after_a_crash_leaves_a_consistent_index(tmp_path, fault):
    """Without a rerun: the repair alone makes what is stored consistent and searchable."""
    home = tmp_path / "home"
    _ingest(home, FIRST)
    _ingest(home, FIRST, SECOND, fault=fault, check_code=CRASH_EXIT_CODE)
    repaired = _check(home, "--repair")
    assert repaired["ok"] and repaired["findings"] == [] and repaired["repaired"], repaired
    assert _check(home)["ok"]
    rerun = _ingest(home, FIRST, SECOND)  # and the ingest still finishes what the crash left
    assert "failed sources 0" in rerun.stdout
    _keyword_index_is_whole(home)
    assert _check(home)["findings"] == []


def test_a_keyword_cache_that_disagrees_with_the_store_is_rebuilt(tmp_path):
    """Chroma can fail after writing its log without our mark (compaction on a full disk)."""
    home = tmp_path / "home"
    _ingest(home, FIRST, SECOND)
    with Assistant(make_settings(home)) as a:
        whole = len(a.keywords.get().passage_ids)
        some = a.store.all_articles()[0].id
        a.store.delete_articles([some])  # behind the revision's back: no mark, no bump
    with Assistant(make_settings(home)) as b:
        assert len(b.keywords.get().passage_ids) == b.store.count_passages() < whole
    assert _check(home)["findings"] == []  # readers rebuilt (and saved) the keyword index


def test_a_full_disk_is_one_line_and_the_index_recovers_once_there_is_room(small_disk):
    home = small_disk / "home"
    full = _ingest(home, check_code=1)  # the whole sample does not fit in 3 MB
    lines = [ln for ln in full.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "disk holding the index is full" in lines[0] and str(small_disk) in lines[0]
    assert "Traceback" not in full.stderr and "InternalError" not in full.stderr
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    rerun = _ingest(home)
    assert "58 articles in the index" in rerun.stdout
    with Assistant(make_settings(home)) as a:
        assert len(a.keywords.get().passage_ids) == a.store.count_passages()
        assert not a.store.is_dirty()
        assert a.search("tariffs and factory jobs")[0].article.title
    assert _check(home)["findings"] == []
