import pytest

from mmp_assets.evaluation.gate import evaluate_gate, parse_rule


def test_parse_rule():
    assert parse_rule(">= 0.8") == (">=", 0.8)
    with pytest.raises(ValueError, match="not a threshold"):
        parse_rule("at least 0.8")


def test_absolute_rules():
    ok = evaluate_gate({"roc_auc": ">= 0.8"}, {"roc_auc": 0.85}, headline="roc_auc", headline_direction="maximize", champion_value=None)
    bad = evaluate_gate({"roc_auc": ">= 0.8"}, {"roc_auc": 0.70}, headline="roc_auc", headline_direction="maximize", champion_value=None)
    assert ok.passed and not bad.passed
    assert "roc_auc is 0.7000, needs >= 0.8" in bad.message


def test_uncomputed_metric_fails_rather_than_passing():
    result = evaluate_gate({"pr_auc": "> 0.1"}, {}, headline="roc_auc", headline_direction="maximize", champion_value=None)
    assert not result.passed


def test_relative_rule_follows_the_metric_direction():
    gate = {"max_regression": 0.01}
    assert evaluate_gate(gate, {"roc_auc": 0.795}, headline="roc_auc", headline_direction="maximize", champion_value=0.80).passed
    assert not evaluate_gate(gate, {"roc_auc": 0.78}, headline="roc_auc", headline_direction="maximize", champion_value=0.80).passed
    assert not evaluate_gate(gate, {"rmse": 1.05}, headline="rmse", headline_direction="minimize", champion_value=1.0).passed
    assert evaluate_gate(gate, {"rmse": 0.9}, headline="rmse", headline_direction="minimize", champion_value=1.0).passed
    assert evaluate_gate(gate, {"roc_auc": 0.5}, headline="roc_auc", headline_direction="maximize", champion_value=None).passed


def test_the_baseline_rule_needs_a_strictly_better_headline_in_its_direction():
    def gate(value, baseline, direction="minimize", metric="rmse"):
        return evaluate_gate({}, {metric: value}, headline=metric, headline_direction=direction, champion_value=None, baseline_value=baseline)

    assert gate(0.9, 1.0).passed and gate(0.8, 0.5, "maximize", "roc_auc").passed
    worse = gate(1.2, 1.0)
    assert not worse.passed and not gate(1.0, 1.0).passed and not gate(0.5, 0.5, "maximize", "roc_auc").passed
    assert worse.message == ("quality gate failed: rmse is 1.2000, not better than the naive baseline's 1.0000 "
                             "(set evaluation.beat_baseline: false to allow it)")
    assert evaluate_gate({}, {"rmse": 9.0}, headline="rmse", headline_direction="minimize", champion_value=None).passed  # opted out
