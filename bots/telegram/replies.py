"""Everything the bot says that is not digest content: help, usage lines, refusals, and the
common error policy's lines as chat HTML, with the bot's own commands as hints."""

from __future__ import annotations

from telegram import BotCommand

from bots.common.errors import EXAMPLE_QUESTION, SOMETHING_WENT_WRONG, UserError  # noqa: F401  (the bot's lines too)
from bots.telegram.render import esc

COMMANDS: list[tuple[str, str]] = [
    ("ask", "Ask the digest a question"),
    ("latest", "The newest issue with its takeaways"),
    ("week", "An issue's articles: /week 373"),
    ("topic", "Recent articles on a topic: /topic leadership"),
    ("search", "Matching articles, no answer: /search tariffs"),
    ("listen", "An article as a voice note: /listen 1"),
    ("episode", "An issue's audio episode: /episode 373"),
    ("subscribe", "Get each new issue when it is published"),
    ("unsubscribe", "Stop the weekly issue"),
    ("reset", "Forget this conversation"),
    ("help", "What I can do"),
]


def bot_commands() -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in COMMANDS]


HELP = (
    "<b>Informed i's Weekly Business Insights</b>, in your chat.\n\n"
    "Ask me anything in plain words and I answer from the digest, citing every article and its weekly issue:\n"
    f"<i>{esc(EXAMPLE_QUESTION)}</i>\n"
    "Follow-ups work (<i>and what about feedback?</i>); /reset starts over. "
    "Tap 🔊 under an answer to hear a cited article.\n\n"
    "/latest – the newest issue with its takeaways\n"
    "/week 373 – an issue's articles\n"
    "/topic leadership – recent articles on a topic\n"
    "/search tariffs – matching articles, no answer\n"
    "/listen 2 – article 2 of my last answer or list as a voice note (or /listen &lt;article id&gt;)\n"
    "/episode 373 – a whole issue as one audio episode (the newest without a number)\n"
    "/subscribe – each new issue's takeaways and episode, when it comes out; /unsubscribe to stop"
)

ASK_USAGE = f"Ask your question after /ask, e.g. /ask {EXAMPLE_QUESTION}"
SEARCH_USAGE = "What should I look for? e.g. /search tariffs and manufacturing"
TOPIC_USAGE = "Which topic? e.g. /topic leadership"
LISTEN_USAGE = (
    "Which article? Send /listen with its number in my last answer or list (e.g. /listen 1), or with an article id."
)
NO_ISSUES = "The digest index is empty for now, so there is nothing to show yet."
EXPIRED_BUTTON = "That button has expired. Ask again, or use /listen with the article's number."
RESET = "Done: I've forgotten this conversation. Ask me anything."

NOT_TEXT = {
    "voice": "I can't listen to voice messages yet. Please type your question.",
    "audio": "I can't listen to audio files. Please type your question.",
    "video_note": "I can't watch video messages. Please type your question.",
    "video": "I can't watch videos. Please type your question.",
    "photo": "I can't read pictures. Please type your question as text.",
    "sticker": "Nice sticker! I only understand text, though: type a question or send /help.",
    "animation": "I can't watch GIFs. Please type your question.",
    "document": "I can't read files. Please type your question, or /search for articles.",
}
NOT_TEXT_OTHER = "I only understand text messages. Type a question, or send /help."


def not_in_allowlist(chat_id: int) -> str:
    return (
        f"Sorry, this is a private bot and this chat is not on its list of allowed chats. "
        f"(Chat id {chat_id}: its owner can add it to ASSISTANT_TELEGRAM_ALLOWED_CHATS.)"
    )


def unknown_command(command: str) -> str:
    return f"I don't know the command {esc(command)}. Send /help to see what I can do."


def week_usage(recent: list[int]) -> str:
    hint = f" Recent issues: {', '.join(map(str, recent))}." if recent else ""
    return f"Which week? Send /week followed by the issue number, e.g. /week {recent[0] if recent else 373}.{hint}"


def not_a_number(command: str, value: str) -> str:
    return f"“{esc(value)}” is not an issue number. Send /{command} followed by a number, e.g. /{command} 373."


def subscribed(newly: bool) -> str:
    if not newly:
        return "You're already subscribed: each new issue comes here when it is published. /unsubscribe stops it."
    return (
        "Subscribed! When a new issue is published you'll get its takeaways and its audio episode here. "
        "/unsubscribe stops it."
    )


def unsubscribed(was: bool) -> str:
    return (
        "Unsubscribed: no more weekly issues." if was else "You weren't subscribed. /subscribe to get each new issue."
    )


def no_topic(name: str, suggestions: list[str]) -> str:
    hint = f" Try: {', '.join(esc(s) for s in suggestions)}." if suggestions else ""
    return f"No articles on “{esc(name)}” in the digest.{hint}"


HINTS = {"article": " /search finds articles; /listen 1 plays the first of my last answer or list."}


def error_line(problem: UserError) -> str:
    """The chat line (HTML) for a failure the user is told about (``problem.report`` is False)."""
    return esc(problem.text + HINTS.get(problem.about or "", ""))
