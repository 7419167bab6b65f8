"""The uplift report on plain inputs: metrics, random-targeting baseline, champion comparison, gate, deciles, card."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmp_assets.evaluation.render import render_card, render_html
from mmp_assets.evaluation.report import ModelUnderTest, build_report
from mmp_assets.recipes import load_recipes
from mmp_assets.training.pyfunc import PipelineModel
from mmp_assets.training.uplift_fit import fit_uplift_final

from .conftest import example_module
from .test_awkward_data import _training_set

FEATURES = (["tenure", "spend", "visits"], ["segment"])
CONTEXT = ModelUnderTest("2", "run", "someone", "code", 1, "hash", {})


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = Path(__file__).resolve().parents[2] / "docs" / "examples" / "uplift"  # the example's recipe, as shipped
    recipe = load_recipes(root).models["promo_uplift"]
    frame = example_module().promo_frame(1600, 5)
    split = np.select([np.arange(1600) % 4 == 0, np.arange(1600) % 4 == 1], ["test", "validation"], "train")
    ts = _training_set(frame, *FEATURES)
    ts = type(ts)(**{**ts.__dict__, "frame": ts.frame.assign(split=split)})
    model = fit_uplift_final(recipe, ts, {"min_samples_leaf": 30, "max_depth": 4})
    return recipe, ts, PipelineModel(model, ts.feature_columns, "uplift")


def _predictor(pyfunc):
    return lambda X: pyfunc.predict(None, X)


def test_report_sections(fitted) -> None:
    recipe, ts, pyfunc = fitted
    constant = lambda X: pd.DataFrame({"prediction": np.zeros(len(X))})  # noqa: E731 - a champion that learned nothing
    report = build_report(recipe, ts, _predictor(pyfunc), context=CONTEXT, champion=constant, champion_version="1")
    assert set(report.metrics.values) == {"qini", "auuc", "uplift_at_30"} and report.metrics.values["qini"] > 0
    low, high = report.metrics.interval
    assert low <= report.metrics.values["qini"] <= high
    baseline, champion = report.comparisons
    assert (baseline.against, baseline.theirs, champion.against, champion.theirs) == (
        "baseline (random targeting)", 0.0, "champion v1", 0.0)
    assert [c["rule"] for c in report.gate.checks] == ["qini better than the naive baseline", "qini >= 0.02"]
    qini = report.metrics.values["qini"]
    assert report.gate.passed == (qini >= 0.02) and [c["passed"] for c in report.gate.checks] == [qini > 0, qini >= 0.02]
    deciles = report.metrics.diagnostics["uplift_by_decile"]
    assert [d["decile"] for d in deciles] == list(range(1, 11)) and sum(d["rows"] for d in deciles) == report.test_rows == 400
    assert deciles[0]["mean_predicted_uplift"] > deciles[-1]["mean_predicted_uplift"]
    assert report.explanation is None and report.drift is not None and "qini" in report.figures
    card, html = render_card(report), render_html(report)
    assert "## Uplift by decile (highest predicted uplift first)" in card and "Uplift by decile" in html
    assert "SHAP is not computed for uplift models" in card


def test_a_model_that_learned_nothing_fails_the_gate(fitted) -> None:
    recipe, ts, _ = fitted
    constant = lambda X: pd.DataFrame({"prediction": np.full(len(X), 0.1)})  # noqa: E731
    report = build_report(recipe, ts, constant, context=CONTEXT)
    assert report.metrics.values["qini"] == pytest.approx(0.0) and not report.gate.passed
    assert report.gate.message.startswith("quality gate failed: qini is 0.0000, not better than the naive baseline's 0.0000")
