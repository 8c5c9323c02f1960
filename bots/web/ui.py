"""The Gradio page: a chat with streamed, cited answers and source cards, filters, example
questions, audio, and a Browse tab of the weekly issues. It only calls the Assistant facade."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from html import escape

import gradio as gr

from assistant.brand import DIGEST_NAME
from assistant.conversation import MAX_TURNS, Turn
from assistant.errors import AssistantError
from assistant.models import Answer, SearchFilters
from assistant.streaming import Deltas
from bots.common.errors import user_error
from bots.inputs import ANY, search_filters
from bots.web.render import PAGE_JS, answer_markdown, header_html, issue_html, sources_html
from bots.web.state import WebState

log = logging.getLogger(__name__)
EMPTY_INDEX = "**No digest ingested yet:** run `assistant ingest`, then reload this page."
EXAMPLES = [
    "What do leaders do that impedes mastery?",
    "Did removing degree requirements from job ads change who got hired?",
    "How are tariffs changing manufacturing?",
    "What happens when junior staff get an AI assistant?",
]
FAILED = "Something went wrong while answering. Please try again in a moment."


def _filters(week_from, week_to, since, until, magazine, topic) -> SearchFilters:
    return search_filters(  # week bounds are checked there, for every channel
        week_from=week_from,
        week_to=week_to,
        since=since,
        until=until,
        magazine=magazine,
        topic=topic,
        names={"since": "Since", "until": "Until"},
    )


def _failure(exc: Exception) -> str:
    """The page's line for a failure: the domain error's own words when they are about what the
    user asked (no such week, a bad filter); for a speech engine, the index or a model, what the
    chat says to anyone, with the details in the log; FAILED for a bug (logged)."""
    problem = user_error(exc)
    if problem.kind == "internal":
        log.exception("the web page's request failed")
        return FAILED
    if problem.kind in ("not_found", "bad_input"):
        return problem.detail
    log.warning("the web page's request failed: %s", problem.detail, exc_info=problem.report)
    return problem.text


class ChatHandlers:
    """What the page's buttons do. Plain methods over the facade, so tests can call them directly."""

    def __init__(self, state: WebState):
        self.state = state
        self.assistant = state.assistant

    def respond(self, question: str, chat: list, history: list[Turn], *filter_values) -> Iterator[tuple]:
        """Stream the answer into the chat, then show its source cards (or, when the digest has no
        answer, its related articles). ``history``: the session's last turns, each with the ids of
        the articles its answer cited, so follow-ups search those first.
        Yields (chat, history, question box, sources html, last answer, status)."""
        question = (question or "").strip()
        if not question:
            yield chat, history, "", gr.update(), None, "Type a question about the digest first."
            return
        if self.state.article_count() == 0:
            yield chat, history, question, gr.update(), None, EMPTY_INDEX
            return
        chat = list(chat or []) + [{"role": "user", "content": question}, {"role": "assistant", "content": ""}]
        try:
            filters = _filters(*filter_values)
            yield chat, history, "", "", None, ""
            streamed = Deltas(self.assistant.ask_stream(question, history, filters))
            for delta in streamed:
                chat[-1]["content"] += delta
                yield chat, history, "", gr.update(), None, gr.update()
            answer = streamed.answer
        except Exception as exc:
            chat[-1]["content"] = f"⚠️ {_failure(exc)}"
            yield chat, history, "", "", None, ""
            return
        chat[-1]["content"] = answer_markdown(answer)
        history = (list(history) + [Turn.of(question, answer)])[-MAX_TURNS:]
        yield chat, history, "", sources_html(answer), answer.model_dump(mode="json"), ""

    @staticmethod
    def new_chat():
        return [], [], "", None, gr.update(value=None, visible=False), ""

    def listen_to_answer(self, last: dict | None):
        if not last:
            return gr.update(visible=False), "Ask a question first, then listen to its answer."
        try:
            clip = self.assistant.listen_answer(Answer.model_validate(last), "mp3")
        except AssistantError as exc:
            return gr.update(visible=False), f"⚠️ {_failure(exc)}"
        return gr.update(value=clip.path, visible=True), ""

    @staticmethod
    def clear_filters():
        return ANY, ANY, "", "", ANY, ANY

    def refresh(self):
        """On page load: filter choices and issues as the index is now."""
        choices = self.state.choices()
        weeks = [ANY] + [str(w) for w in choices.weeks]
        issues = [(x.issue.label or "Issue", x.issue.week) for x in self.assistant.issues() if x.issue.week is not None]
        status = EMPTY_INDEX if not choices.weeks else ""
        return (
            gr.update(choices=weeks),
            gr.update(choices=weeks),
            gr.update(choices=[ANY] + choices.magazines),
            gr.update(choices=[ANY] + choices.topics),
            status,
            gr.update(choices=issues, value=issues[0][1] if issues else None),
        )

    def show_issue(self, week):
        if week is None:
            return "<p>No issues yet: run <code>assistant ingest</code>.</p>"
        try:
            listing = self.assistant.issue(int(week))
        except AssistantError as exc:
            return f"<p>⚠️ {escape(_failure(exc))}</p>"
        try:
            episode = self.assistant.listen_issue(int(week), "mp3")
        except AssistantError as exc:  # the issue's articles still show, without its player
            return f'<p class="notice">⚠️ {escape(_failure(exc))}</p>' + issue_html(listing, None)
        return issue_html(listing, episode)


def build_ui(state: WebState) -> gr.Blocks:
    h = ChatHandlers(state)

    with gr.Blocks(title=DIGEST_NAME, analytics_enabled=False, fill_width=False) as ui:
        gr.HTML(header_html(), js_on_load=None)
        history = gr.State([])
        last_answer = gr.State(None)
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                status = gr.Markdown("", elem_id="status")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        chat = gr.Chatbot(
                            label="Chat",
                            elem_id="chat",
                            height=460,
                            buttons=["copy"],
                            placeholder="Ask about leadership, AI, trade, strategy…",
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                show_label=False,
                                placeholder="Ask the digest a question",
                                elem_id="question",
                                scale=5,
                                max_length=1000,
                                submit_btn=False,
                            )
                            send = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
                        gr.Examples(EXAMPLES, inputs=question, label="Try")
                        with gr.Row():
                            new = gr.Button("New chat", elem_id="new-chat", size="sm")
                            speak = gr.Button("🔊 Listen to this answer", elem_id="listen-answer", size="sm")
                        answer_audio = gr.Audio(
                            label="This answer",
                            visible=False,
                            elem_id="answer-audio",
                            interactive=False,
                            type="filepath",
                        )
                        sources = gr.HTML("", elem_id="sources", js_on_load=PAGE_JS)
                    with gr.Column(scale=1, min_width=240):
                        gr.Markdown("#### Filters")
                        week_from = gr.Dropdown([ANY], value=ANY, label="From week", elem_id="week-from")
                        week_to = gr.Dropdown([ANY], value=ANY, label="To week", elem_id="week-to")
                        since = gr.Textbox(label="Since", placeholder="YYYY-MM-DD", elem_id="since")
                        until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD", elem_id="until")
                        magazine = gr.Dropdown([ANY], value=ANY, label="Magazine", elem_id="magazine")
                        topic = gr.Dropdown([ANY], value=ANY, label="Topic", elem_id="topic")
                        clear = gr.Button("Clear filters", size="sm", elem_id="clear-filters")
            with gr.Tab("Browse", id="browse"):
                issue_pick = gr.Dropdown([], label="Weekly issue", elem_id="issue-pick")
                issue_view = gr.HTML("", elem_id="issue-view", js_on_load=PAGE_JS)

        filters = [week_from, week_to, since, until, magazine, topic]
        outputs = [chat, history, question, sources, last_answer, status]
        send.click(h.respond, [question, chat, history, *filters], outputs, api_name="ask")
        question.submit(h.respond, [question, chat, history, *filters], outputs, api_name=False)
        new.click(h.new_chat, None, [chat, history, question, last_answer, answer_audio, sources], api_name=False)
        speak.click(h.listen_to_answer, [last_answer], [answer_audio, status], api_name=False)
        clear.click(h.clear_filters, None, filters, api_name=False)
        issue_pick.change(h.show_issue, [issue_pick], [issue_view], api_name=False)
        ui.load(h.refresh, None, [week_from, week_to, magazine, topic, status, issue_pick], api_name=False)
    return ui
