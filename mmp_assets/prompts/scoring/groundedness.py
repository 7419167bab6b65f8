"""Is every claim in an answer backed by the context? A lexical judge with number and entity checks.

Each clause of each sentence is `neutral` (greetings, thanks: no claim), `supported` (its words are in the context
and so are all its numbers and named entities), `contradicted` (it talks about what the context
talks about, but with a number or entity the context does not have: "Paris is in Germany" against
"Paris is in France") or `unsupported` (mostly words the context never uses: a new claim).
It needs no model and no network, and it cannot see paraphrase or negation; docs/prompts.md says
where that bites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mmp_assets.prompts.scoring.text import COURTESY, NUMBER_WORDS, STOPWORDS, clauses, numbers, sentences, stem, words

Status = Literal["neutral", "supported", "contradicted", "unsupported"]
Label = Literal["grounded", "partly_hallucinated", "contradicting"]


@dataclass(frozen=True)
class SentenceJudgement:
    sentence: str
    status: Status
    overlap: float
    unknown: tuple[str, ...]  # numbers and entities the context does not contain


@dataclass(frozen=True)
class Groundedness:
    score: float  # share of claim sentences that are supported; 1.0 when the answer makes no claim
    label: Label
    sentences: tuple[SentenceJudgement, ...]

    @property
    def worst(self) -> SentenceJudgement | None:
        """The first contradicted sentence, else the first unsupported one."""
        for status in ("contradicted", "unsupported"):
            found = next((s for s in self.sentences if s.status == status), None)
            if found:
                return found
        return None


def judge(response: str, context: str, *, min_overlap: float = 0.5) -> Groundedness:
    vocabulary = {stem(w) for w in words(context)}
    context_numbers = numbers(context)
    judged = tuple(
        _judge_sentence(c, vocabulary, context_numbers, min_overlap) for s in sentences(response) for c in clauses(s)
    )
    claims = [j for j in judged if j.status != "neutral"]
    supported = sum(j.status == "supported" for j in claims)
    score = supported / len(claims) if claims else 1.0
    if any(j.status == "contradicted" for j in claims):
        label: Label = "contradicting"
    elif supported < len(claims):
        label = "partly_hallucinated"
    else:
        label = "grounded"
    return Groundedness(score=round(score, 4), label=label, sentences=judged)


def _judge_sentence(sentence: str, vocabulary: set[str], context_numbers: set[float], min_overlap: float) -> SentenceJudgement:
    tokens = words(sentence)
    content = [t for t in tokens if t.lower() not in STOPWORDS and t.lower() not in NUMBER_WORDS]
    # the first word is capitalised by position, not because it names something
    entities = [t for i, t in enumerate(tokens) if i > 0 and t[0].isupper() and t in content and t.lower() not in COURTESY]
    claim_words = [t for t in content if t.lower() not in COURTESY and t not in entities]
    unknown = [f"{n:g}" for n in sorted(numbers(sentence) - context_numbers)]
    unknown += [e for e in entities if stem(e) not in vocabulary]
    known_claims = sum(stem(w) in vocabulary for w in claim_words)
    if not claim_words and not numbers(sentence) and not unknown:
        return SentenceJudgement(sentence, "neutral", 1.0, ())
    scored = claim_words + entities
    overlap = (known_claims + sum(stem(e) in vocabulary for e in entities)) / len(scored) if scored else 1.0
    if unknown:
        # it talks about what the context talks about (shares a number, a name, or most words) but
        # states another fact there: a contradiction rather than a claim out of nowhere
        anchored = bool(numbers(sentence) & context_numbers) or any(stem(e) in vocabulary for e in entities)
        on_topic = anchored or (claim_words and known_claims / len(claim_words) >= min_overlap)
        return SentenceJudgement(sentence, "contradicted" if on_topic else "unsupported", round(overlap, 4), tuple(unknown))
    return SentenceJudgement(sentence, "supported" if overlap >= min_overlap else "unsupported", round(overlap, 4), ())
