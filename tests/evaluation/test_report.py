from mmp_assets.evaluation.render import dagster_markdown, render_card, render_html, view
from mmp_assets.evaluation.report import ModelUnderTest, build_report
from mmp_assets.evaluation.scores import estimator_predictor
from tests.evaluation.conftest import make_pipeline, recipe_for

CONTEXT = ModelUnderTest(model_version="2", trainer="alice", run_id="r1", code_version="c1",
                         training_set_version=1, training_set_hash="abc123", pinned_views={"profile": 3})


def test_report_has_every_section_and_embeds_its_images(toy_classification):
    ts, pipeline, predict = toy_classification
    recipe = recipe_for(gate={"roc_auc": ">= 0.8", "max_regression": 0.01}, backtest={"windows": 2})
    weak = estimator_predictor(make_pipeline(max_iter=3).fit(ts.X("train"), ts.y("train")), "classification")
    report = build_report(recipe, ts, predict, context=CONTEXT, explainable=pipeline, champion=weak, champion_version="1",
                          fit=lambda X, y: estimator_predictor(make_pipeline(max_iter=10).fit(X, y), "classification"))

    assert report.gate.passed and report.metrics.interval is not None
    assert [c.against for c in report.comparisons] == ["baseline (prior/mean)", "champion v1"]
    assert len(report.backtest) == 2 and len(report.local) == 3
    assert set(report.figures) == {"calibration", "backtest", "shap_summary"}
    html = render_html(report)
    for section in ("Metrics (test split)", "Comparisons", "Backtest replay", "Explanations", "Drift", "Quality gate",
                    "Limitations", "data:image/png;base64,", 'href="drift.html"'):
        assert section in html
    card = render_card(report)
    for section in ("## Intended use", "## Data", "profile v3", "95% CI", "## Comparisons", "## Backtest replay",
                    "## Top features", "## Drift", "## Limitations"):
        assert section in card
    assert "data:image/png;base64," in dagster_markdown(report)
    assert view(report)["importance"][0]["feature"] == "strong"


def test_regression_report_and_a_failing_gate(toy_regression):
    ts, pipeline, predict = toy_regression
    recipe = recipe_for("regression", gate={"r2": ">= 0.999"}, bootstrap=20)
    report = build_report(recipe, ts, predict, context=CONTEXT, explainable=pipeline)
    assert not report.gate.passed and "r2 is" in report.gate.message
    assert "residuals" in report.figures and "residuals" in report.metrics.diagnostics
    assert "Quality gate FAILED" in render_html(report)


def test_a_regressor_worse_than_the_mean_fails_the_default_gate_unless_the_recipe_opts_out(toy_regression):
    ts, _, _ = toy_regression
    worse = estimator_predictor(make_pipeline("regression", max_iter=1, learning_rate=0.01).fit(ts.X("train"), ts.y("train") * -1), "regression")
    report = build_report(recipe_for("regression", bootstrap=0), ts, worse, context=CONTEXT)
    assert not report.gate.passed and report.gate.failures[0].startswith("rmse is ") and "not better than the naive baseline's" in report.gate.message
    opted_out = build_report(recipe_for("regression", bootstrap=0, beat_baseline=False), ts, worse, context=CONTEXT)
    assert opted_out.gate.passed and opted_out.gate.message == "no rules configured"
