"""The evaluation report of a clustering model: cluster quality on the test split, sizes and profiles.

There is no label to compare with, so every number judges the partition the model gives the test
rows, in the space the model sees them (the registered pipeline's own preprocessing):

* metrics: silhouette, Davies–Bouldin, Calinski–Harabasz (catalog/clustering.py), no bootstrap;
* baseline: the same cluster ids shuffled over the test rows (seeded, `PERMUTATIONS` times), i.e.
  random clusters of exactly the model's sizes. A model beats it only if its clusters follow the
  features; its interval and p-value are those of a permutation test;
* champion: the champion's cluster ids on the same rows, measured in the candidate's space;
* profiles: rows, share and per-cluster mean (numeric) or most frequent value (categorical) of the
  raw test features;
* drift as for every task;
* SHAP through a surrogate: a random forest trained to predict the model's cluster ids from the
  training rows (in the model's own preprocessed space), explained with TreeExplainer on test rows
  (mean |SHAP| over the clusters' probabilities). The report states how often the surrogate agrees
  with the model on the test rows: the explanation is only as good as that agreement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmp_assets.catalog.clustering import n_clusters_defined
from mmp_assets.catalog.metrics import get_metric
from mmp_assets.evaluation import plots
from mmp_assets.evaluation.compare import Comparison
from mmp_assets.evaluation.gate import evaluate_gate
from mmp_assets.evaluation.metrics import MetricReport, metric_names
from mmp_assets.evaluation.report import EvaluationReport, _add_drift
from mmp_assets.evaluation.scores import champion_scores, score

PERMUTATIONS = 49  # shuffles of the baseline: the smallest permutation p-value is 1 / 50
SURROGATE_TREES = 100


def surrogate_explanation(recipe, training_set, pipe, X_test: pd.DataFrame, test_ids: np.ndarray):
    """(Explanation of a random-forest surrogate of the clusterer, its agreement with the model on the test rows),
    or (None, why not) when the model puts every training row in one cluster."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline

    from mmp_assets.evaluation.explain import explain, sample_rows

    X_fit = training_set.X("train", "validation")
    fit_ids = np.asarray(pipe.predict(X_fit)).reshape(len(X_fit))
    if len(np.unique(fit_ids)) < 2:
        return None, "SHAP skipped: the model puts every training row in one cluster, so there is nothing to tell apart"
    preprocess, seed = pipe[:-1], recipe.split.seed
    forest = RandomForestClassifier(n_estimators=SURROGATE_TREES, random_state=seed, n_jobs=1).fit(preprocess.transform(X_fit), fit_ids)
    surrogate = Pipeline([("preprocess", preprocess), ("model", forest)])
    agreement = float(np.mean(surrogate.predict(X_test) == test_ids))
    sample = sample_rows(X_test, recipe.evaluation.shap_sample, seed)
    explanation = explain(surrogate, sample, "classification", categorical=training_set.categorical_columns, seed=seed)
    note = (f"SHAP explains a surrogate: a random forest trained on the training rows to predict the model's cluster ids "
            f"(mean |SHAP| over the clusters' probabilities); it agrees with the model on {agreement:.1%} of the test rows")
    return explanation, note


def cluster_values(names: list[str], space: np.ndarray, ids: np.ndarray) -> dict[str, float]:
    """Each named clustering metric of `ids` on `space`; left out when undefined (one cluster, or one per row)."""
    values = {}
    for name in names:
        value = get_metric(name, "clustering")(space, ids)
        if not np.isnan(value):
            values[name] = value
    return values


def cluster_profiles(X: pd.DataFrame, ids: np.ndarray, numeric: list[str], categorical: list[str]) -> dict:
    """Per cluster: rows, share of rows, and per feature the mean (numeric) or most frequent value and its share (categorical)."""
    rows = []
    for cluster in np.unique(ids):
        members = X[ids == cluster]
        row = {"cluster": str(cluster), "rows": int(len(members)), "share": float(len(members) / len(X)), "values": {}}
        for column in numeric:
            mean = pd.to_numeric(members[column], errors="coerce").mean()
            row["values"][column] = "NULL" if pd.isna(mean) else f"{mean:.3g}"
        for column in categorical:
            counts = members[column].value_counts(dropna=True)
            row["values"][column] = "NULL" if counts.empty else f"{counts.index[0]} ({counts.iloc[0] / len(members):.0%})"
        rows.append(row)
    return {"columns": [*numeric, *categorical], "profiles": rows}


def permutation_baseline(metric_name: str, space: np.ndarray, ids: np.ndarray, ours: float | None, seed: int) -> Comparison | None:
    """The model's ids shuffled over the rows, `PERMUTATIONS` seeded times: random clusters of the same sizes."""
    if ours is None:
        return None
    metric = get_metric(metric_name, "clustering")
    sign = 1.0 if metric.direction == "maximize" else -1.0
    rng = np.random.default_rng(seed)
    draws = np.array([metric(space, rng.permutation(ids)) for _ in range(PERMUTATIONS)])
    draws = draws[~np.isnan(draws)]
    if not len(draws):
        return None
    theirs = float(draws.mean())
    gains = sign * (ours - draws)
    interval = (float(np.percentile(gains, 2.5)), float(np.percentile(gains, 97.5)))
    p_value = float((1 + np.sum(gains <= 0)) / (1 + len(draws)))  # one-sided: shuffles at least as good as ours
    return Comparison("baseline (same cluster sizes, shuffled)", metric_name, ours, theirs, ours - theirs,
                      sign * (ours - theirs), interval, p_value)


def build_clustering_report(recipe, training_set, predict, *, context, explainable=None, champion=None, champion_version=None):
    """What `evaluation.report.build_report` is for the other tasks (evaluation/run.py picks by task)."""
    ev, headline, seed = recipe.evaluation, recipe.headline_metric, recipe.split.seed
    X_test = training_set.X("test")
    if len(X_test) == 0:
        raise ValueError(f"training set {training_set.recipe} v{training_set.version} has no test rows to evaluate on")
    if explainable is None:
        raise ValueError(f"{recipe.name}: the registered model holds no pipeline, so its clusters cannot be measured in its own feature space")
    ids = score(predict, X_test).prediction
    space = np.asarray(explainable[:-1].transform(X_test), dtype=float)
    notes = []
    if not n_clusters_defined(ids):
        found = len(np.unique(ids))
        notes.append(f"warning: the model put the {len(ids)} test rows in {found} cluster(s); every clustering metric is "
                     "undefined, so the gate fails")
    values = cluster_values(metric_names("clustering", ev.metrics, headline), space, ids)
    numeric, categorical = training_set.numeric_columns, training_set.categorical_columns
    metrics = MetricReport(values, headline, None, {"clusters": cluster_profiles(X_test, ids, numeric, categorical)})
    comparisons = [c for c in [permutation_baseline(headline, space, ids, values.get(headline), seed)] if c is not None]
    champion_value = None
    theirs = champion_scores(champion, X_test, champion_version, notes) if champion is not None else None
    if theirs is not None:
        champion_value = cluster_values([headline], space, theirs.prediction).get(headline)
        ours = values.get(headline)
        if champion_value is not None and ours is not None:
            sign = 1.0 if get_metric(headline, "clustering").direction == "maximize" else -1.0
            comparisons.append(Comparison(f"champion v{champion_version}", headline, ours, champion_value,
                                          ours - champion_value, sign * (ours - champion_value), None, None))
    baseline_value = comparisons[0].theirs if comparisons and comparisons[0].against.startswith("baseline") else None
    if ev.beat_baseline and baseline_value is None:
        baseline_value = float("nan")  # no baseline to beat (undefined metric): the rule fails rather than vanishes
    gate = evaluate_gate(ev.gate, values, headline=headline, headline_direction=get_metric(headline, "clustering").direction,
                         champion_value=champion_value, baseline_value=baseline_value if ev.beat_baseline else None)
    report = EvaluationReport(recipe, context, len(X_test), metrics, comparisons, gate, notes=notes)
    report.explanation, note = surrogate_explanation(recipe, training_set, explainable, X_test, ids)
    report.notes.append(note)
    if report.explanation is not None:
        report.figures["shap_summary"] = plots.shap_summary_plot(report.explanation.values, report.explanation.rows)
    _add_drift(report, recipe, training_set)
    return report
