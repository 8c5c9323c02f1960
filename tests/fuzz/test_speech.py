"""Fuzzing assistant/speech/normalize.py: speech text is idempotent, tidy, XML-legal, free of
tags, links and citation markers, at most 9 times longer than its input, and made in linear
time. Then the faults fuzzing found."""

from __future__ import annotations

import time

import pytest
from hypothesis import example

from assistant.speech.normalize import MAX_PASSES, sentence, speech_text
from evals import fuzz_targets as t
from tests.fuzz import fuzz


@fuzz(t.SPEECH)
@example("***a***")
@example("www…x")
@example("ht[1]tp://x.org")
@example("a\r- b")
@example("a ( ) b")
@example("\ud800\x00")
@example("Q1")
@example("\n" * 6000)
def test_speech_text_is_idempotent_tidy_and_plain(text):
    t.SPEECH.check(text)


# --- faults fuzzing found ---------------------------------------------------------------------


@pytest.mark.parametrize("run", [" ", "\n", " \n", "\t", "\xa0", "[", "<a", "[1,", "1 ", "( "])
def test_speech_text_takes_linear_time(run):
    # "\s*X" patterns rescanned whitespace runs from each of their characters: 20,000 blank
    # lines took 14 s, 50,000 about 90 s. Linear code does 100,000 characters in well under 1 s.
    text = "Start. " + run * (100_000 // len(run)) + " end."
    start = time.perf_counter()
    speech_text(text)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("***a***", "a"),  # "*a*" after one pass
        ("www…x and more", "and more"),  # "…" became "...", a URL, after URLs were removed
        ("ht[1]tp://x.org/a is gone", "is gone"),  # removing the marker made a URL
        ("Intro\r- first\r- second", "Intro\nfirst\nsecond"),  # a bullet after "\r" was kept
        ("a ( ) b", "a b"),  # two spaces
        ("Cut \ud83d mid-emoji\x00\x1b", "Cut mid-emoji"),  # UTF-8 and XML cannot carry these
    ],
)
def test_speech_text_settles_in_one_call(text, spoken):
    assert speech_text(text) == spoken
    assert speech_text(spoken) == spoken


def test_markup_nested_deeper_than_the_passes_allow_is_not_spoken():
    nested = "[" * (MAX_PASSES + 2) + "x" + "](u)" * (MAX_PASSES + 2)
    assert speech_text(nested) == "" and sentence(nested) == ""
    shallow = "[" * 3 + "x" + "](u)" * 3
    assert speech_text(shallow) == "x"
