"""Text as it should be heard: no links, markup or page furniture, and numbers, symbols and
abbreviations written the way a listener expects them read. Engines differ in how they read
"44%" or "Q3", so the text is made unambiguous here rather than trusted to each engine."""

from __future__ import annotations

import re

# Every pattern runs in linear time. A match may start only where its first character can be:
# "\s*X" tried at each character of a whitespace run rescans the rest of the run, so 20,000
# blank lines took 14 s. "(?:(?<!\s)\s+)?X" starts at a run's first character or at X.
_COPYRIGHT = re.compile(r"(?:\(\s*)?copyright lies with the publisher(?:\s*\))?\.?", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()\n]|\([^()\n]*\))*\)")  # a link text ends at the next "["
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_CITATION = re.compile(r"(?:(?<!\s)\s+)?\[\d+(?:\s*[,–-]\s*\d+)*\]")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(.+?)\1")
_LINE_MARKUP = re.compile(r"^[^\S\n]*(?:#{1,6}\s+|>\s*|[-*•▪◦·]\s+|\d{1,2}[.)]\s+)", re.MULTILINE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")  # only up to the last ">": see _strip_tags
# Controls no engine speaks (what XML 1.0 forbids) and lone surrogates, which UTF-8 cannot carry
# to an engine's stdin (espeak-ng raised); other line breaks (\r, \x85, \u2028 ...) become "\n".
_UNSPEAKABLE = re.compile("[\x00-\x08\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# The rules run until the text stops changing, as one rule's output can be another's input ("www…x"
# is a URL once "…" is "..."). Text still changing after this many passes is markup nested that
# deep on purpose, and is not spoken: that keeps the time linear and speech_text idempotent.
MAX_PASSES = 8

_CHARACTERS = {
    "“": '"',
    "”": '"',
    "„": '"',
    "«": '"',
    "»": '"',
    "‘": "'",
    "’": "'",
    "‚": "'",
    "…": "...",
    "\u00a0": " ",
    "\u200b": "",
    "&": " and ",
    "+": " plus ",
    "=": " equals ",
}
_PHRASES = [
    (re.compile(r"\be\.g\.,?", re.I), "for example"),
    (re.compile(r"\bi\.e\.,?", re.I), "that is"),
    (re.compile(r"\betc\.", re.I), "et cetera"),
    (re.compile(r"\bvs?\.(?=\s)", re.I), "versus"),
    (re.compile(r"\bU\.S\.(?=\s|$|,)"), "U S"),
    (re.compile(r"\bU\.K\.(?=\s|$|,)"), "U K"),
    (re.compile(r"\bGenAI\b", re.I), "Gen A I"),
]
_QUARTERS = {"1": "first", "2": "second", "3": "third", "4": "fourth"}
_SCALES = {
    "k": "thousand",
    "m": "million",
    "mn": "million",
    "bn": "billion",
    "b": "billion",
    "tn": "trillion",
    "t": "trillion",
    "million": "million",
    "billion": "billion",
    "trillion": "trillion",
}
_CURRENCIES = {"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}
_DECADES = {
    "20": "twenties",
    "30": "thirties",
    "40": "forties",
    "50": "fifties",
    "60": "sixties",
    "70": "seventies",
    "80": "eighties",
    "90": "nineties",
}
_PRONOUNCED_ACRONYMS = {
    "NASA",
    "NATO",
    "OPEC",
    "FIFA",
    "UNESCO",
    "OK",
    "SWOT",
    "SPAC",
    "ASEAN",
    "GAAP",
    "COVID",
    "SaaS",
}


def speech_text(text: str) -> str:
    """Clean one piece of digest text for speech. Idempotent, and linear in the text's length."""
    text = _UNSPEAKABLE.sub("", "\n".join(text.splitlines()))
    for _ in range(MAX_PASSES):
        spoken = _once(text)
        if spoken == text:
            return text
        text = spoken
    return ""


def _once(text: str) -> str:
    text = _COPYRIGHT.sub("", text)
    text = _strip_tags(text)
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _CITATION.sub("", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = _LINE_MARKUP.sub("", text)
    for char, spoken in _CHARACTERS.items():
        text = text.replace(char, spoken)
    text = _dashes(text)
    text = _numbers(text)
    for pattern, spoken in _PHRASES:
        text = pattern.sub(spoken, text)
    text = re.sub(r"\b[A-Z]{2,4}s?\b", _spell_acronym, text)
    return _tidy(text)


def _strip_tags(text: str) -> str:
    # A "<b" with no ">" after it is no tag; trying each one would rescan the rest of the text.
    end = text.rfind(">") + 1
    return _HTML_TAG.sub(" ", text[:end]) + text[end:]


def _dashes(text: str) -> str:
    # A range reads "1 to 7"; a dash between words is a pause.
    text = re.sub(r"(?<=\d)\s*[–—-]\s*(?=\d)", " to ", text)
    text = re.sub(r"(?:(?<!\s)\s+)?[—–]\s*|(?<!\s)\s+-\s+", ", ", text)
    return text


def _numbers(text: str) -> str:
    def money(m: re.Match) -> str:
        currency, amount, scale = m.group(1), m.group(2), (m.group(3) or "").lower()
        scale_word = _SCALES.get(scale, "")
        return " ".join(p for p in (amount, scale_word, _CURRENCIES[currency]) if p)

    text = re.sub(
        r"([$€£¥])\s?(\d[\d,]*(?:\.\d+)?)\s?(k|mn|m|bn|b|tn|t|million|billion|trillion)?\b",
        money,
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(r"(\d)\s?%", r"\1 percent", text)
    text = re.sub(r"\bQ([1-4])\b", lambda m: f"the {_QUARTERS[m.group(1)]} quarter", text)
    text = re.sub(r"\b(1[89]|20)([2-9]0)s\b", lambda m: f"{m.group(1)} {_DECADES[m.group(2)]}", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 12,000 -> 12000: engines read it as one number
    return text


def _spell_acronym(m: re.Match) -> str:
    word = m.group(0)
    core = word[:-1] if word.endswith("s") and word[:-1].isupper() else word
    if core in _PRONOUNCED_ACRONYMS or not core.isupper():
        return word
    spelled = " ".join(core)
    return spelled + ("s" if core != word else "")


def _tidy(text: str) -> str:
    text = re.sub(r"\(\s*\)", "", text)  # first, or "a ( ) b" leaves two spaces
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" ([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    lines = [line.strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def sentence(text: str) -> str:
    """Clean text, ending with a full stop so engines pause before the next part."""
    text = speech_text(text)
    if text and text[-1] not in ".!?":
        text += "."
    return text
