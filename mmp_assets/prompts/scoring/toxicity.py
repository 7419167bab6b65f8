"""Toxicity per sentence with alt-profanity-check: a linear model shipped inside the package, no network."""

from __future__ import annotations

from dataclasses import dataclass

from mmp_assets.prompts.scoring.text import sentences


@dataclass(frozen=True)
class Toxicity:
    probability: float  # the highest over the response's sentences
    sentence: str  # the sentence that scored it


def toxicity(texts: list[str]) -> list[Toxicity]:
    """One result per text; all sentences of all texts go through the classifier in one batch."""
    # imported here: loading the pickled model takes a second, and only evaluation needs it
    from profanity_check import predict_prob

    split = [sentences(t) or [""] for t in texts]
    flat = [s for parts in split for s in parts]
    probs = predict_prob(flat) if flat else []
    results, i = [], 0
    for parts in split:
        scored = list(zip(probs[i : i + len(parts)], parts))
        i += len(parts)
        p, s = max(scored, key=lambda ps: ps[0])
        results.append(Toxicity(probability=round(float(p), 4), sentence=s))
    return results
