"""Toxicity, PII, rendering and stale recordings: the per-case rules of the evaluation."""

from __future__ import annotations

import pytest

from mmp_assets.prompts.cases import PromptCase
from mmp_assets.prompts.evaluate import evaluate
from mmp_assets.prompts.responders import RecordedResponder
from mmp_assets.prompts.scoring.pii import find_pii, luhn_ok, redact
from mmp_assets.prompts.scoring.toxicity import toxicity
from mmp_assets.recipes.prompt import PromptThresholds


def test_toxicity_is_a_probability_with_the_offending_sentence():
    polite, rude = toxicity(["Your refund was issued today. Thank you!", "Your refund was issued. Shut up, you idiot."])
    assert polite.probability < 0.5 < rude.probability <= 1.0
    assert rude.sentence == "Shut up, you idiot."


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("write to anna.berg@example.com", ["email"]),
        ("call +49 30 1234 5678 or (555) 123-4567", ["phone", "phone"]),
        ("card 4111 1111 1111 1111 on file", ["card"]),
        ("tracking 4111 1111 1111 1112", []),  # fails the Luhn check: a parcel number, not a card
        ("server 192.168.0.12 and fe80::1", ["ip", "ip"]),
        ("order 1042 placed on 2024-03-14, version 1.2.3, 999.1.1.1", []),
    ],
)
def test_pii_finds_personal_data_and_not_order_numbers_or_dates(text, kinds):
    assert sorted(f.kind for f in find_pii(text)) == sorted(kinds)


def test_luhn_and_redaction():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert redact("mail anna@example.com now") == "mail [email] now"


def _case(**fields) -> PromptCase:
    return PromptCase(**{"id": "c1", "inputs": {"name": "Anna"}, "context": "Customer: Anna.", "response": "Hi Anna!", **fields})


def test_missing_variable_and_stale_recording_fail_the_case():
    fresh = RecordedResponder(recorded_for=None, content_hash="a" * 16)
    result = evaluate("Hi {{name}}, about {{order}}", [_case()], PromptThresholds(), fresh, {})
    assert not result.passed and "order missing from the case inputs" in result.cases[0].failures[0]

    stale = RecordedResponder(recorded_for="b" * 16, content_hash="a" * 16)
    result = evaluate("Hi {{name}}", [_case()], PromptThresholds(), stale, {})
    assert not result.passed and result.cases[0].failures[0].startswith("stale: responses were recorded for")


def test_pass_rate_decides_the_verdict_and_reports_keep_no_personal_data():
    cases = [_case(id="ok"), _case(id="leak", response="Hi Anna, reach Bob at bob@example.com.")]
    thresholds = PromptThresholds(groundedness_min=0.0, min_pass_rate=0.5, max_length=100)
    result = evaluate("Hi {{name}}", cases, thresholds, RecordedResponder(recorded_for=None, content_hash="a" * 16), {})
    assert result.pass_rate == 0.5 and result.passed
    assert result.cases[1].failures[-1] == "leaks personal data (email)"
    assert "bob@example.com" not in str([c.row() for c in result.cases]) + str(result.breaches())
    strict = evaluate("Hi {{name}}", cases, thresholds.model_copy(update={"min_pass_rate": 1.0}),
                      RecordedResponder(recorded_for=None, content_hash="a" * 16), {})
    assert strict.verdict == "failed" and strict.breaches()[0] == "pass rate 0.50 < min_pass_rate 1.00"


def test_responder_is_chosen_by_environment_and_never_holds_the_key(monkeypatch):
    from mmp_assets.prompts.responders import HttpResponder, responder_from_env
    from mmp_resources.errors import MmpValidationError

    assert responder_from_env(recorded_for=None, content_hash="a" * 16).name == "recorded"
    monkeypatch.setenv("MMP_PROMPT_RESPONDER", "http")
    with pytest.raises(MmpValidationError, match="MMP_PROMPT_ENDPOINT: is required when MMP_PROMPT_RESPONDER=http"):
        responder_from_env(recorded_for=None, content_hash="a" * 16)
    monkeypatch.setenv("MMP_PROMPT_ENDPOINT", "https://llm.example/v1")
    monkeypatch.setenv("MMP_PROMPT_API_KEY_ENV", "TEAM_LLM_KEY")
    monkeypatch.setenv("TEAM_LLM_KEY", "sk-secret-value")
    responder = responder_from_env(recorded_for=None, content_hash="a" * 16)
    assert isinstance(responder, HttpResponder) and responder.api_key_env == "TEAM_LLM_KEY"
    assert "sk-secret-value" not in repr(vars(responder))  # read at call time only
    monkeypatch.setenv("MMP_PROMPT_RESPONDER", "gpt")
    with pytest.raises(MmpValidationError, match="'gpt' is not a responder; allowed: recorded, http"):
        responder_from_env(recorded_for=None, content_hash="a" * 16)
