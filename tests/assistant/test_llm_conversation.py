"""Follow-up questions: rewritten by the language model when there is one, by rules otherwise."""

from __future__ import annotations

from assistant.conversation import MAX_TURNS, Turn, resolve, standalone_question
from assistant.models import SearchFilters
from tests.fakes.llm import (  # noqa: F401  (fixtures)
    fake_openai,
    is_rewrite,
    llm_assistant,
    source_sentence,
)
from tests.fakes.openai_server import Text

LOYALTY = "w374-loyalty-programs-are-quietly-turning-into-banks"
FIRST = "How do points-and-miles programmes make money for companies?"
FOLLOW_UP = "Who buys them in bulk?"  # means nothing on its own


def test_first_follow_up_without_a_model(llm_assistant):
    assistant = llm_assistant(answer_mode="extractive")
    alone = assistant.ask(FOLLOW_UP)
    assert not alone.found  # on its own the follow-up finds nothing

    answer = assistant.ask(FOLLOW_UP, history=[FIRST])
    assert answer.query == f"{FIRST} {FOLLOW_UP}"
    assert answer.found and answer.citations[0].article_id == LOYALTY
    assert "credit-card issuers" in answer.citations[0].quote  # quoted for the follow-up's own focus


def test_first_follow_up_with_the_model(llm_assistant, fake_openai):
    rewritten = "Who buys points-and-miles programme points in bulk?"

    def reply(request):
        if is_rewrite(request):
            return Text(rewritten)
        return Text(f"{source_sentence(request, 1, 1)} [1]")

    fake_openai.reply = reply
    answer = llm_assistant().ask(FOLLOW_UP, history=[FIRST])

    rewrite, answer_request = fake_openai.chat_requests()
    assert is_rewrite(rewrite) and FIRST in rewrite.user and f"Latest question: {FOLLOW_UP}" in rewrite.user
    assert rewrite.body.get("stream") in (None, False) and rewrite.body["max_tokens"] <= 100
    assert answer.query == rewritten and f"Question: {rewritten}" in answer_request.user
    assert answer.mode == "llm" and answer.citations[0].article_id == LOYALTY


def test_a_rewrite_that_answers_instead_is_ignored(llm_assistant, fake_openai):
    def reply(request):
        if is_rewrite(request):
            return Text("Airlines sell miles to banks, which is how they make money.")  # not a question
        return Text(f"{source_sentence(request, 1, 1)} [1]")

    fake_openai.reply = reply
    answer = llm_assistant().ask(FOLLOW_UP, history=[FIRST])
    assert answer.query == f"{FIRST} {FOLLOW_UP}"  # the rules' rewrite
    assert answer.citations[0].article_id == LOYALTY


def test_rewrite_falls_back_to_rules_when_the_model_fails(llm_assistant, fake_openai):
    from tests.fakes.openai_server import Status

    fake_openai.reply = lambda request: Status(500)
    answer = llm_assistant(llm_retries=0).ask(FOLLOW_UP, history=[FIRST])
    assert answer.query == f"{FIRST} {FOLLOW_UP}" and answer.mode == "extractive"
    assert answer.citations[0].article_id == LOYALTY


def test_rules_carry_subject_titles_and_filters_and_stay_bounded():
    # Self-contained questions pass through; leaning ones carry the previous standalone question.
    assert standalone_question("How do tariffs affect factories?", [FIRST]) == "How do tariffs affect factories?"
    assert standalone_question("And what did they say about AI?", [FIRST]) == f"{FIRST} what did they say about AI?"
    # A follow-up of a follow-up keeps the first subject.
    chain = standalone_question("Who buys them?", [FIRST, "And what about airlines?"])
    assert chain.startswith(FIRST) and "airlines" in chain
    # A typed turn adds the title its answer came from, and its filters when none are given.
    turn = Turn(
        question=FIRST,
        filters=SearchFilters(week_from=374, week_to=374),
        titles=["Loyalty Programs Are Quietly Turning Into Banks"],
    )
    result = resolve(FOLLOW_UP, [turn])
    assert "Loyalty Programs" in result.query and result.filters.week_from == 374 and result.rewritten_by == "rules"
    assert resolve(FOLLOW_UP, [turn], SearchFilters(magazine="x")).filters.magazine == "x"
    # History is bounded: turns older than MAX_TURNS are not used.
    leaning = ["And what about that?"] * MAX_TURNS
    assert "zebras" in standalone_question("And that?", ["What do zebras eat?"] + leaning[1:])
    assert "zebras" not in standalone_question("And that?", ["What do zebras eat?"] + leaning)


def test_who_wrote_it_is_answered_from_the_citation_without_the_model(llm_assistant, fake_openai):
    fake_openai.reply = lambda request: Text("Should not be asked [1].")
    answer = llm_assistant().ask("Who wrote it?", history=[FIRST])
    assert answer.text.startswith("Joanne Whitfield wrote “Loyalty Programs Are Quietly Turning Into Banks”")
    assert answer.citations[0].article_id == LOYALTY
    assert not [r for r in fake_openai.chat_requests() if not is_rewrite(r)]
