"""The command-line contract: JSON shapes, readable text, exit codes 0/1/2, one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import SEED_ARTICLE_ID, SEED_QUESTION

EXE = shutil.which("assistant")


def run(home, *args, check_code=0):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env["ASSISTANT_HOME"] = str(home)
    proc = subprocess.run([EXE, *args], capture_output=True, text=True, env=env, timeout=300, cwd=home.parent)
    assert proc.returncode == check_code, (proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    assert EXE, "the `assistant` console script is not installed (pip install -e .)"
    home = tmp_path_factory.mktemp("cli") / "data"
    report = json.loads(run(home, "ingest", "--json").stdout)
    assert set(report) >= {"added", "updated", "unchanged", "failed", "errors", "articles_total"}
    assert report["failed"] == 0 and report["added"] == report["articles_total"] >= 40
    return home


def test_ingest_again_is_a_no_op(home):
    report = json.loads(run(home, "ingest", "--json").stdout)
    assert report["added"] == report["updated"] == 0
    assert report["unchanged"] == report["articles_total"]


def test_check_text_and_json(home):
    assert "ok: nothing found" in run(home, "check").stdout
    found = json.loads(run(home, "check", "--json").stdout)
    assert found["ok"] and found["findings"] == [] and found["articles"] >= 40
    assert found["embedding_model"].startswith("all-MiniLM-L6-v2")
    assert json.loads(run(home, "ingest", "--json").stdout)["problems"] == []
    quick = json.loads(run(home, "check", "--quick", "--json").stdout)
    assert quick["full"] is False and quick["ok"]


def test_ask_json_cites_the_seed_article_first(home):
    out = json.loads(run(home, "ask", SEED_QUESTION, "--json").stdout)
    assert set(out) == {"question", "answer", "mode", "citations", "model", "verification", "notice", "related"}
    assert out["mode"] == "extractive" and "[1]" in out["answer"] and out["related"] == []
    first = out["citations"][0]
    assert first["n"] == 1 and first["article_id"] == SEED_ARTICLE_ID
    assert first["week"] == 373 and first["issue_dates"] == "November 1-7, 2024"
    assert first["magazine"] == "MIT Sloan Management Review" and first["published"] == "2024-10-29"
    assert set(first) >= {
        "n",
        "article_id",
        "title",
        "author",
        "magazine",
        "published",
        "week",
        "issue_dates",
        "issue_url",
        "url",
        "quote",
    }


def test_ask_json_refusal_lists_related_articles_and_order_time_orders_by_week(home):
    out = json.loads(
        run(home, "ask", "What did the digest say about the collapse of Silicon Valley Bank?", "--json").stdout
    )
    assert out["citations"] == [] and out["answer"].startswith("The digest has nothing that answers this.")
    assert 1 <= len(out["related"]) <= 3
    assert set(out["related"][0]) == {"article_id", "title", "week", "issue_dates"}
    by_time = json.loads(run(home, "ask", "tariffs and factories", "--order", "time", "--json").stdout)
    weeks = [c["week"] for c in by_time["citations"]]
    assert len(set(weeks)) >= 2 and weeks == sorted(weeks)
    run(home, "ask", "tariffs", "--order", "sideways", check_code=2)


def test_ask_text_lists_sources(home):
    text = run(home, "ask", SEED_QUESTION).stdout
    assert "[1] Week 373, November 1-7, 2024 · Building Mastery" in text


def test_ask_off_topic_returns_no_citations(home):
    out = json.loads(run(home, "ask", "What is a good recipe for sourdough bread?", "--json").stdout)
    assert out["citations"] == []


def test_search_json_shape_and_filters(home):
    out = json.loads(
        run(
            home,
            "search",
            "tariffs and manufacturing",
            "--magazine",
            "The Meridian",
            "--since",
            "2024-01-01",
            "--top-k",
            "3",
            "--json",
        ).stdout
    )
    assert out["query"] == "tariffs and manufacturing"
    assert 1 <= len(out["hits"]) <= 3
    for hit in out["hits"]:
        assert set(hit) >= {"article_id", "title", "score", "week", "magazine", "published"}
        assert hit["magazine"] == "The Meridian" and hit["published"] >= "2024-01-01"


def test_show_json_has_every_field(home):
    out = json.loads(run(home, "show", SEED_ARTICLE_ID, "--json").stdout)
    assert out["title"] == "Building Mastery: What Leaders Do That Helps — or Impedes"
    assert out["author"] == "Lynda Gratton" and len(out["takeaways"]) == 3
    assert out["topics"] == ["Leadership", "Learning", "Skills", "Training", "Lifetime Career"]
    assert out["summary"][0].startswith("This is a time when")


def test_issues_json_newest_first(home):
    issues = json.loads(run(home, "issues", "--json").stdout)["issues"]
    weeks = [i["week"] for i in issues]
    assert weeks == sorted(weeks, reverse=True) and 373 in weeks and len(weeks) >= 7
    seed = next(i for i in issues if i["week"] == 373)
    assert seed["articles"][0]["article_id"] == SEED_ARTICLE_ID


def test_errors_are_one_line_with_exit_1(home):
    proc = run(home, "show", "no-such-article", check_code=1)
    assert proc.stderr.strip().count("\n") == 0 and "no-such-article" in proc.stderr
    assert "Traceback" not in proc.stderr
    proc = run(home, "ask", "   ", check_code=1)
    assert "empty" in proc.stderr
    proc = run(home, "search", "x", "--since", "last week", check_code=1)
    assert "YYYY-MM-DD" in proc.stderr


def test_a_question_refused_at_once_still_exits_cleanly(home):
    """`ask` loads the model in a background thread while it opens the index; a question refused
    before that finishes must not abort the process ("terminate called without an active
    exception", exit 134): it did 8 times in 10 before the facade waited for the thread."""
    for _ in range(5):
        proc = run(home, "ask", "   ", check_code=1)
        assert "empty" in proc.stderr and "terminate" not in proc.stderr


def test_bad_usage_exits_2(home):
    run(home, "ask", check_code=2)
    run(home, "no-such-command", check_code=2)


# --- listen and voices ---------------------------------------------------------------------------
def test_listen_writes_a_decodable_mp3_of_the_article(home, tmp_path):
    import soundfile as sf

    target = tmp_path / "mastery.mp3"
    out = json.loads(run(home, "listen", SEED_ARTICLE_ID, "-o", str(target), "--json").stdout)
    info = sf.info(str(target))
    assert info.format == "MP3" and abs(info.duration - out["duration"]) < 0.1 and out["duration"] > 60
    assert out["engine"] == "pyttsx3" and out["path"] == str(target) and out["format"] == "mp3"
    again = run(home, "listen", SEED_ARTICLE_ID, "-o", str(target)).stdout
    assert "· cache ·" in again  # the second request is served from the audio cache


def test_listen_week_as_ogg_episode_with_chapters(home, tmp_path):
    import soundfile as sf

    target = tmp_path / "week454.ogg"
    text = run(home, "listen", "--week", "454", "--format", "ogg", "-o", str(target)).stdout
    info = sf.info(str(target))
    assert (info.format, info.subtype, info.samplerate) == ("OGG", "OPUS", 48000)
    chapters = json.loads((tmp_path / "week454.chapters.json").read_text())["chapters"]
    assert chapters[0] == {"startTime": 0.0, "title": "Introduction"} and len(chapters) >= 4
    assert "0:00  Introduction" in text


def test_listen_text_as_wav(home, tmp_path):
    import soundfile as sf

    target = tmp_path / "out.wav"
    run(home, "listen", "--text", "Margins rose 44% in Q3 of 2024.", "--format", "wav", "-o", str(target))
    assert sf.info(str(target)).format == "WAV" and 1.5 < sf.info(str(target)).duration < 8


@pytest.mark.parametrize(
    "args, message",
    [
        (("listen", "--week", "999"), "Week 999 is not in the index. Nearby weeks:"),
        (("listen", "w373-building-mastery"), "Did you mean: " + SEED_ARTICLE_ID),
        (("listen", "--text", "  "), "nothing to speak"),
    ],
)
def test_listen_bad_input_is_one_clear_line(home, args, message):
    err = run(home, *args, check_code=1).stderr.strip()
    assert message in err and len(err.splitlines()) == 1


def test_listen_needs_exactly_one_target(home):
    assert "exactly one of" in run(home, "listen", check_code=2).stderr
    refused = " ".join(run(home, "listen", "--text", "hi", "-f", "flac", check_code=2).stderr.replace("│", " ").split())
    assert "'flac' is not one of 'wav', 'mp3', 'ogg'" in refused  # typer's message for an enum option


def test_voices_lists_engines(home):
    out = json.loads(run(home, "voices", "--json").stdout)
    engines = {e["name"]: e for e in out["engines"]}
    assert set(engines) == {"pyttsx3", "espeak-ng", "piper"} and out["engine"] == "pyttsx3"
    assert engines["pyttsx3"]["available"] and engines["espeak-ng"]["available"]
    assert "gmw/en-us" in {v["id"] for v in engines["pyttsx3"]["voices"]}
