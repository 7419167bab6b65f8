"""Sentences, words and numbers: the small text toolkit the scorers share."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
# a claim is a clause: "X is included, and the hotel also offers Y" makes two claims
_CLAUSE_BREAK = re.compile(r";\s+|,\s+(?:and|but|while|whereas|plus)\s+", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]|\d+(?:[.,]\d+)*")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?|(?<=[A-Za-z-])\d+(?:\.\d+)?")

STOPWORDS = frozenset(
    """a an the and or but if then so of to in on at by for with from as into onto about over under than
    is are was were be been being am do does did done has have had having will would shall should can could
    may might must it its it's this that these those there here i me my we us our you your yours he him his
    she her they them their what which who whom when where why how not no nor also just only very too all any
    each both some such own same again further once up down out off via per yes""".split()
)
# words that carry no claim: greetings, thanks, apologies, offers of help
COURTESY = frozenset(
    """hi hello hey dear thanks thank sorry apologies apologise apologize apology glad happy pleased help
    assist let know anything else reach reaching contact questions question please regards best kind
    welcome hope great day wishes sincerely cheers feel free further more understand frustration
    inconvenience patience waiting wait look forward hear team support worries worry""".split()
)
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12",
}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


def clauses(sentence: str) -> list[str]:
    return [c.strip() for c in _CLAUSE_BREAK.split(sentence) if c.strip()]


def words(text: str) -> list[str]:
    """Alphabetic tokens as written (case kept, so named entities can be told apart)."""
    return [t for t in _TOKEN.findall(text) if t[0].isalpha()]


def stem(word: str) -> str:
    """A crude suffix strip, applied to both sides of every comparison, so `shipped`/`ships`/`ship` meet."""
    w = word.lower().replace("’", "'").removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)]
            break
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]  # change / changed / changes
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiou":
        w = w[:-1]  # shipped -> shipp -> ship; cancelled -> cancel
    return w


def numbers(text: str) -> set[float]:
    """Every number written as digits or as a small number word; `1,299.00` and `1299` are equal."""
    found = {float(n.replace(",", "")) for n in _NUMBER.findall(text)}
    found |= {float(NUMBER_WORDS[w.lower()]) for w in words(text) if w.lower() in NUMBER_WORDS}
    return found
