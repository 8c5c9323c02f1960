"""What a question asks, read from its wording alone (no model): the kind of answer it wants
(a reason, an amount, advice...), the names it mentions, whether it asks how a view changed
over time, and whether it asks about the previous answer itself ("which week was that?").

Rules rather than a classifier: they run in microseconds, need no download, and a wrong
guess only shifts a score (the answer is still quoted from the retrieved articles).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache

from assistant.terms import analyze


class AnswerKind(StrEnum):
    """What a sentence must state to answer the question."""

    REASON = "reason"
    AMOUNT = "amount"
    ADVICE = "advice"
    PROBLEM = "problem"
    OUTCOME = "outcome"
    NAME = "name"
    TIME = "time"


# Question wording -> the kind of answer asked for. A question may ask for several.
_ASKS: dict[AnswerKind, re.Pattern[str]] = {
    AnswerKind.REASON: re.compile(
        r"\bwhy\b|\breasons?\b|\bcaus(e|es|ed|ing)\b|\bhow come\b|\bwhat (drove|drives|is driving|led|leads|explains)\b"
        r"|\bmotivat",
        re.I,
    ),
    AnswerKind.AMOUNT: re.compile(
        r"\bhow (much|many|often|large|big|long|fast|high|low|far|quickly|widely)\b"
        r"|\bwhat (share|percentage|percent|proportion|fraction|number|amount|portion|level|rate)\b|\bby how much\b",
        re.I,
    ),
    AnswerKind.ADVICE: re.compile(
        r"\blessons?\b|\bshould\b|\badvi[cs]e\b|\brecommend|\bsuggest|\bpropos|\burge|\binstead\b|\bhow (can|could|should|to)\b"
        r"|\bwhat (can|could|should|must)\b|\bbest (way|practice)|\btips?\b|\bsteps?\b|\bstrateg",
        re.I,
    ),
    AnswerKind.PROBLEM: re.compile(
        r"\b(imped|hinder|obstacle|barrier|wrong|fail|risk|threat|problem|challeng|hurt|harm|downside|drawback"
        r"|worr|concern|danger|mistake|stall|block|prevent|undermin|struggl|pitfall|weakness|limit|hold(s|ing)? back)\w*",
        re.I,
    ),
    AnswerKind.OUTCOME: re.compile(
        r"\bwhat happen|\beffects?\b|\bimpact|\bresult|\boutcome|\bfind\b|\bfound\b|\bfindings?\b|\bshow(ed|n)?\b"
        r"|\bchange[ds]?\b|\bimprov",
        re.I,
    ),
    AnswerKind.NAME: re.compile(
        r"^\s*(who|whom)\b|\bwhich (company|companies|firm|firms|country|countries|bank|banks|group|groups|sector"
        r"|sectors|industry|industries|brand|brands|city|cities|employees|workers|people|person|executive|leaders?)\b",
        re.I,
    ),
    AnswerKind.TIME: re.compile(r"^\s*when\b|\bwhat year\b|\bhow soon\b|\bby when\b", re.I),
}

# Sentence wording that states each kind of answer.
_STATES: dict[AnswerKind, re.Pattern[str]] = {
    AnswerKind.REASON: re.compile(
        r"\b(because|since|due to|as a result|result(ed|s)? (in|from)|led to|leads? to|driven by|so that|thanks to"
        r"|owing to|stems? from|reasons?|caus(e|ed|es)|explains?|why|meaning that|which means)\b",
        re.I,
    ),
    AnswerKind.AMOUNT: re.compile(
        r"\d|%|\b(percent|half|third|quarter|twice|double[ds]?|triple[ds]?|times|million|billion|trillion|dozen"
        r"|hundreds?|thousands?|most|majority|few)\b",
        re.I,
    ),
    AnswerKind.ADVICE: re.compile(
        r"\b(should|must|need to|needs to|have to|has to|ought|lessons?|key (is|to)|start by|instead|rather than"
        r"|recommend\w*|urges?|advises?|suggests?|best|avoid|make sure|focus on|the answer|the way to|works? best"
        r"|do well to|can)\b|^[\"“‘(-]*\s*(first|second|third|fourth|finally|next|then|lastly),",
        re.I,
    ),
    AnswerKind.PROBLEM: re.compile(
        r"\b(not|no|never|lack\w*|fail\w*|tension|risk\w*|threat\w*|problem\w*|barrier\w*|hinder\w*|struggl\w*"
        r"|worr\w*|concern\w*|danger\w*|mistake\w*|cost\w*|undermin\w*|prevent\w*|block\w*|stall\w*|difficult\w*"
        r"|hard|challeng\w*|declin\w*|drop\w*|fall\w*|fell|loss\w*|los(e|ing)|pressure\w*|squeez\w*|strain\w*"
        r"|burden\w*|hurt\w*|harm\w*)\b|n[’']t\b",
        re.I,
    ),
    AnswerKind.OUTCOME: re.compile(
        r"\d|\b(found|find|shows?|showed|rose|fell|increased|decreased|improved|grew|declined|led to|resulted"
        r"|ended up|turned out|became|cut|raised|boosted|reduced|doubled|jumped|slipped)\b",
        re.I,
    ),
    AnswerKind.NAME: re.compile(r"(?<!^)(?<![.!?] )\b[A-Z][a-z]+|\b[A-Z]{2,}\b"),
    AnswerKind.TIME: re.compile(
        r"\b(19|20)\d\d\b|\b(january|february|march|april|may|june|july|august|september|october|november"
        r"|december|spring|summer|autumn|fall|winter|quarter|year|years|months?|weeks?|decades?)\b",
        re.I,
    ),
}

# "How has the digest's view on tariffs changed since 2021?"
_OVER_TIME = re.compile(
    r"\b(chang|evolv|shift|develop|mov|progress|trend)\w*\b[^?]{0,120}?\b(over (time|the years)|since (19|20)\d\d|from (19|20)\d\d"
    r"|through the years|year (by|over|after) year|across (the )?(years|issues|weeks))"
    r"|\bover (time|the years)\b|\bhow (has|have|did) [^?]{0,80}?\b(view|views|coverage|thinking|stance|take|position"
    r"|perspective|opinion|tone|outlook)\b[^?]{0,120}?\b(chang|evolv|shift|develop)\w*"
    r"|\b(evolution|timeline|history) of\b",
    re.I,
)
# Scaffolding of an over-time question, left out of what is searched for.
_TIME_SCAFFOLD = re.compile(
    r"\b(how|has|have|had|did|does|do|the|digest'?s?|digest’s|informed i'?s?|view|views|coverage|thinking|stance|take"
    r"|position|perspective|opinion|tone|outlook|chang\w*|evolv\w*|shift\w*|develop\w*|over|time|the years|years"
    r"|since|from|through|across|issues?|weeks?|year|by|after|evolution|timeline|history|of|on|about|toward|towards"
    r"|been|its|it)\b|\b(19|20)\d\d\b|[?’']",
    re.I,
)
_SINCE_YEAR = re.compile(r"\b(?:since|from|after)\s+((?:19|20)\d\d)\b", re.I)
_UNTIL_YEAR = re.compile(r"\b(?:until|till|to|through|before)\s+((?:19|20)\d\d)\b", re.I)


class AboutAnswer(StrEnum):
    """A fact about the previous answer's article, asked for directly."""

    WEEK = "week"
    AUTHOR = "author"
    MAGAZINE = "magazine"
    DATE = "date"
    LINK = "link"
    TITLE = "title"


_REFERS_BACK = r"(that|it|this|those|these|they|the (article|piece|story|study|report|first one|second one|source))"
_ABOUT_ANSWER: list[tuple[AboutAnswer, re.Pattern[str]]] = [
    (
        AboutAnswer.WEEK,
        re.compile(r"\b(which|what) (week|issue)\b|\bin which (week|issue)\b|\bwhat week number\b", re.I),
    ),
    (
        AboutAnswer.AUTHOR,
        re.compile(r"\bwho (wrote|authored|is the author|was the author|penned)\b|\bwhat author\b", re.I),
    ),
    (
        AboutAnswer.MAGAZINE,
        re.compile(r"\b(which|what) (magazine|publication|journal|outlet)\b|\bwhere (was|did) " + _REFERS_BACK, re.I),
    ),
    (
        AboutAnswer.DATE,
        re.compile(r"^\s*when (was|did|were) " + _REFERS_BACK + r"\b|\bwhat (date|day|year) (was|did)\b", re.I),
    ),
    (AboutAnswer.LINK, re.compile(r"\b(link|url)\b|\bwhere can i read\b", re.I)),
    (AboutAnswer.TITLE, re.compile(r"\bwhat('s| is| was) (the|its) (title|headline)\b|\bwhat was it called\b", re.I)),
]
# A question that asks about the previous answer is short and has no words of its own beyond these.
_MAX_ABOUT_WORDS = 12
_ABOUT_WORDS = frozenset(
    analyze(
        "week weeks issue issues number magazine publication journal outlet author wrote written authored penned "
        "link url title headline date day year published publish appeared appear read called call where when who "
        "piece story study report source first second one please again exactly"
    )
)

_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}  # fmt: skip
_NOT_NAMES = _MONTHS | {"i", "ai", "ceo", "ceos", "cfo", "cfos", "hr", "it", "week", "weeks", "q", "and"}


@dataclass(frozen=True)
class Question:
    """One question, read."""

    text: str
    asks: frozenset[AnswerKind]
    names: tuple[str, ...]  # the proper names it mentions, as written ("Jerome Powell")
    over_time: bool
    years: tuple[int, ...] = ()  # years it asks about ("the bank failures of 2023"), not "since 2021"

    @property
    def stems(self) -> list[str]:
        return analyze(self.text)


@lru_cache(maxsize=1024)
def read(text: str) -> Question:
    asks = frozenset(kind for kind, pattern in _ASKS.items() if pattern.search(text))
    return Question(
        text=text, asks=asks, names=tuple(proper_names(text)), over_time=asks_over_time(text), years=years_asked(text)
    )


def years_asked(text: str) -> tuple[int, ...]:
    """Years an event is placed in ("in 2023", "the 2023 failures"); range words ("since 2021",
    "before 2020") bound a period instead, so they are left out."""
    found = []
    for match in re.finditer(r"\b((?:19|20)\d\d)\b(?!s)", text):
        before = text[: match.start()].split()[-1:] or [""]
        if before[0].lower() not in {"since", "from", "after", "before", "until", "till", "to", "through", "between"}:
            found.append(int(match.group(1)))
    return tuple(dict.fromkeys(found))


# "How can a plan avoid X, and what did an instruments maker change?": two questions in one.
_SECOND_QUESTION = re.compile(
    r",?\s+and\s+(?=(what|how|why|which|who|when|where|does|did|do|is|are|was|were|has|have|can)\b)", re.I
)


def parts(text: str) -> list[str]:
    """The questions a question asks: itself, or its clauses when it joins two with "and what/how..."."""
    pieces = [p.strip(" ,?") for p in _SECOND_QUESTION.split(text)]
    # split() keeps the lookahead's group: drop those one-word captures.
    clauses = [p for p in pieces if p and len(p.split()) > 2]
    return [c + "?" for c in clauses] if len(clauses) > 1 else [text]


@lru_cache(maxsize=100_000)
def states(kind: AnswerKind, sentence: str) -> bool:
    """Whether ``sentence`` is worded like an answer of this kind (cached: sentences recur)."""
    return bool(_STATES[kind].search(sentence))


def proper_names(text: str) -> list[str]:
    """The names in a question, as written: runs of capitalised words that do not start a
    sentence, and acronyms ("Silicon Valley Bank", "TSMC", "Jerome Powell"). These are what a
    near-topic question hinges on: an article about banks in general does not answer one about
    a named bank. Numbers are not names (weeks, years, amounts)."""
    words = re.findall(r"[A-Za-z][\w&'’.-]*[\w.]|\d[\w,.]*|[,;:?!]", text)
    # In Title Case a capital says nothing (only acronyms are names then); in ALL CAPS nothing does.
    long_words = [w for w in words[1:] if w[0].isalpha() and len(w) >= 4]
    title_case = len(long_words) >= 4 and all(w[0].isupper() for w in long_words)
    all_caps = text.isupper()
    names: list[str] = []
    run: list[str] = []
    starts = True  # the first word of a sentence is capitalised anyway
    for word in [*words, ","]:
        core = word.replace("’", "'").split("'")[0].rstrip(".")
        is_name = (
            bool(core)
            and core[0].isalpha()
            and core.lower() not in _NOT_NAMES
            and not all_caps
            and ((not starts and core[0].isupper() and not title_case) or (len(core) > 1 and core.isupper()))
            and bool(analyze(core))
        )
        starts = word in ("?", "!") or (
            word.endswith(".") and len(word) > 2 and not word[:-1].replace(".", "").isupper()
        )
        if is_name:
            run.append(core)
        elif run:
            names.append(" ".join(run))
            run = []
    return list(dict.fromkeys(names))


def asks_over_time(text: str) -> bool:
    return bool(_OVER_TIME.search(text))


def time_topic(text: str) -> str:
    """What an over-time question is about ("How has the view on tariffs changed?" -> "tariffs")."""
    topic = " ".join(_TIME_SCAFFOLD.sub(" ", text).split())
    return topic if analyze(topic) else text


def years_named(text: str) -> tuple[date | None, date | None]:
    """The date range an over-time question names ("since 2021" -> 2021-01-01..None)."""
    since = _SINCE_YEAR.search(text)
    until = _UNTIL_YEAR.search(text)
    return (
        date(int(since.group(1)), 1, 1) if since else None,
        date(int(until.group(1)), 12, 31) if until else None,
    )


def about_answer(text: str) -> AboutAnswer | None:
    """The fact about the previous answer a short question asks for, if that is all it asks:
    "Which week was that in?" is; "Which week did they cover remote work?" is a new question."""
    if len(text.split()) > _MAX_ABOUT_WORDS or set(analyze(text)) - _ABOUT_WORDS:
        return None
    for field, pattern in _ABOUT_ANSWER:
        if pattern.search(text):
            return field
    return None
