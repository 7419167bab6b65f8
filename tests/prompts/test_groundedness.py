"""The groundedness judge on a fixed, labelled set: grounded, partly hallucinated, contradicting."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from mmp_assets.prompts.scoring.groundedness import judge

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "groundedness_labelled.jsonl").read_text().splitlines()]
LABELS = ("grounded", "partly_hallucinated", "contradicting")


def test_groundedness_separates_grounded_hallucinated_and_contradicting():
    assert len(CASES) >= 20 and set(Counter(c["label"] for c in CASES)) == set(LABELS)
    predicted = {c["id"]: judge(c["response"], c["context"]).label for c in CASES}

    print(f"\ngroundedness on {len(CASES)} labelled cases")
    for label in LABELS:
        tp = sum(predicted[c["id"]] == label and c["label"] == label for c in CASES)
        fp = sum(predicted[c["id"]] == label and c["label"] != label for c in CASES)
        fn = sum(predicted[c["id"]] != label and c["label"] == label for c in CASES)
        print(f"  {label:<20} precision {tp / max(tp + fp, 1):.2f}  recall {tp / max(tp + fn, 1):.2f}  (n={tp + fn})")
    # the decision the gate takes: is the answer ungrounded (hallucinated or contradicting)?
    flagged = {i for i, label in predicted.items() if label != "grounded"}
    truly = {c["id"] for c in CASES if c["label"] != "grounded"}
    precision, recall = len(flagged & truly) / len(flagged), len(flagged & truly) / len(truly)
    accuracy = sum(predicted[c["id"]] == c["label"] for c in CASES) / len(CASES)
    print(f"  ungrounded (either)  precision {precision:.2f}  recall {recall:.2f}; three-way accuracy {accuracy:.2f}")
    for c in CASES:
        if predicted[c["id"]] != c["label"]:
            print(f"  miss {c['id']}: {c['label']} judged {predicted[c['id']]} ({c.get('hard', 'no note')}): {c['response']!r}")

    assert precision >= 0.9 and recall >= 0.85
    assert accuracy >= 0.85


def test_paris_is_not_in_germany():
    context = "Paris is the capital of France."
    assert judge("Paris is in France.", context).label == "grounded"
    verdict = judge("Paris is in Germany.", context)
    assert verdict.label == "contradicting" and verdict.worst.unknown == ("Germany",)


def test_greetings_make_no_claim_and_numbers_must_match():
    context = "Customer: Anna Berg. Order 1042 ships on 5 March, total 1,299.00 EUR."
    assert judge("Hi Anna! Thanks for reaching out.", context).score == 1.0
    assert judge("Your order 1042 ships on 5 March and costs 1299 EUR.", context).label == "grounded"
    assert judge("Your order 1042 ships on 7 March.", context).label == "contradicting"
