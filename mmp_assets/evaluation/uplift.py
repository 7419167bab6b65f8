"""The evaluation report of a `task: uplift` model: Qini / AUUC on the test split, uplift by decile,
random targeting as the baseline, the gate, drift. SHAP is not computed (see docs/evaluation.md).

Metrics read y as (n, 2) [outcome, treatment] and the model's `prediction` (the estimated uplift);
definitions in `mmp_assets.catalog.uplift_metrics`. Random targeting is a constant score: every row
ties, so its curves are the straight line and its Qini coefficient and AUUC are exactly 0.
"""

from __future__ import annotations

import numpy as np

from mmp_assets.catalog.metrics import get_metric
from mmp_assets.catalog.uplift_metrics import qini_curve, uplift_by_decile
from mmp_assets.evaluation import plots
from mmp_assets.evaluation.compare import paired_comparison
from mmp_assets.evaluation.gate import evaluate_gate
from mmp_assets.evaluation.metrics import MetricReport, bootstrap_interval, compute
from mmp_assets.evaluation.scores import Scores, champion_scores, score
from mmp_assets.training.uplift_fit import uplift_target

STANDARD = ["qini", "auuc", "uplift_at_30"]
BASELINE = "baseline (random targeting)"
SHAP_NOTE = ("SHAP is not computed for uplift models: the uplift is a difference of two models' outputs, and "
             "per-arm explanations would not explain it; read the uplift-by-decile table instead")


def qini_plot(y2: np.ndarray, uplift: np.ndarray) -> bytes:
    """The model's Qini curve against random targeting (the straight line)."""
    x, q = qini_curve(y2, uplift)
    fig, ax = plots.plt.subplots(figsize=(5, 3.6))
    ax.plot([0, x[-1]], [0, q[-1]], linestyle="--", color="grey", label="random targeting")
    ax.plot(x, q, label="model")
    ax.set(xlabel="rows targeted (highest predicted uplift first)", ylabel="incremental responders", title="Qini curve (test split)")
    ax.legend(loc="upper left")
    return plots._png(fig)


def uplift_metrics(recipe, y2: np.ndarray, ours: Scores) -> MetricReport:
    """The recipe's metrics, then the standard set, each once; the headline with its bootstrap interval."""
    ev, headline = recipe.evaluation, recipe.headline_metric
    names = list(dict.fromkeys([headline, *ev.metrics, *STANDARD]))
    arms = {"treated": int(y2[:, 1].sum()), "control": int(len(y2) - y2[:, 1].sum())}
    return MetricReport(
        values=compute("uplift", names, y2, ours),
        headline=headline,
        interval=bootstrap_interval("uplift", headline, y2, ours, ev.bootstrap, recipe.split.seed),
        diagnostics={"uplift_by_decile": uplift_by_decile(y2, ours.prediction.astype(float)), "arms": arms},
    )


def uplift_sections(recipe, training_set, predict, champion=None, champion_version=None) -> dict:
    """The report's sections for task: uplift, as `EvaluationReport` fields (the report object, its rendering,
    MLflow logging, drift section and gate record are shared with every task)."""
    ev, headline, seed = recipe.evaluation, recipe.headline_metric, recipe.split.seed
    test = training_set.part("test")
    if len(test) == 0:
        raise ValueError(f"training set {training_set.recipe} v{training_set.version} has no test rows to evaluate on")
    X_test, y2 = test[training_set.feature_columns], uplift_target(recipe, test)
    ours = score(predict, X_test)
    ours = Scores(ours.prediction.astype(float))
    metrics = uplift_metrics(recipe, y2, ours)
    notes = [SHAP_NOTE]
    random = Scores(np.zeros(len(y2)))
    comparisons = [paired_comparison("uplift", headline, y2, ours, random, against=BASELINE, resamples=ev.bootstrap, seed=seed)]
    champion_value = None
    theirs = champion_scores(champion, X_test, champion_version, notes) if champion is not None else None
    if theirs is not None:
        versus = paired_comparison("uplift", headline, y2, ours, Scores(theirs.prediction.astype(float)),
                                   against=f"champion v{champion_version}", resamples=ev.bootstrap, seed=seed)
        comparisons.append(versus)
        champion_value = versus.theirs
    gate = evaluate_gate(ev.gate, metrics.values, headline=headline, headline_direction=get_metric(headline, "uplift").direction,
                         champion_value=champion_value, baseline_value=comparisons[0].theirs if ev.beat_baseline else None)
    return {"test_rows": len(y2), "metrics": metrics, "comparisons": comparisons, "gate": gate,
            "figures": {"qini": qini_plot(y2, ours.prediction)}, "notes": notes}
