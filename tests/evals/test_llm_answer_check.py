"""`assistant eval --answer-mode`: the verification and fallback figures count what they say."""

from __future__ import annotations

from evals.answers import check_answers
from evals.quality import load_gold
from tests.fakes.llm import fake_openai, llm_assistant, source_sentence  # noqa: F401  (fixtures)
from tests.fakes.openai_server import Text


def questions():
    gold = [q for q in load_gold("report") if q.expected and not q.history]
    return gold[:3]


def test_extractive_answers_all_verify_and_never_reach_a_model(llm_assistant, fake_openai):
    check = check_answers(llm_assistant(answer_mode="extractive"), questions())
    assert check.answered == 3 and check.all_verified_share == 1.0  # quotes hold up by construction
    assert check.reached_model == 0 and check.fallback_rate == 0.0 and fake_openai.requests == []


def test_model_answers_are_counted_as_kept_verified_or_fallen_back(llm_assistant, fake_openai):
    replies = iter(
        [
            lambda r: Text(f"{source_sentence(r, 1, 1)} [1]"),  # kept, verified
            lambda r: Text("Zebras run the bond market in 1850 [1]."),  # falls back
            lambda r: Text(f"{source_sentence(r, 1, 1)} [1] {source_sentence(r, 1, 2)} [9]"),  # kept, a bad marker
        ]
    )
    fake_openai.reply = lambda request: next(replies)(request)
    check = check_answers(llm_assistant(answer_mode="llm"), questions())
    assert [r.mode for r in check.results] == ["llm", "extractive", "llm"]
    assert check.reached_model == 3
    assert check.fallback_rate == round(1 / 3, 4) and check.model_kept_share == round(2 / 3, 4)
    assert check.model_all_verified_share == round(1 / 3, 4)
    assert check.all_verified_share == round(2 / 3, 4)  # the fallback's quotes verify; the [9] answer does not
