"""The forecasting evaluation: the five forecast metrics, two naive baselines and a rolling-origin backtest.

Reads only the stored training set: its test rows carry, besides the label and the model inputs, the
two baselines' forecasts (`naive_last`: the series' last value before the origin; `naive_seasonal`:
the value one season before the forecast period, from before the origin) and each row's MASE scale,
all computed by the feature store (feature_store/forecast_sql.py) from periods before the origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mmp_assets.catalog import forecast_metrics as fm
from mmp_assets.catalog.metrics import get_metric
from mmp_assets.evaluation import plots
from mmp_assets.evaluation.compare import paired_comparison
from mmp_assets.evaluation.gate import evaluate_gate
from mmp_assets.evaluation.metrics import MetricReport, bootstrap_interval, diagnostics
from mmp_assets.evaluation.report import EvaluationReport, _add_drift, _add_explanation
from mmp_assets.evaluation.scores import Scores, score

TASK = "forecasting"
ORIGIN, STEP, SCALE = "forecast_origin", "step", "mase_scale"  # the training set's columns (feature_store.forecast_sql)
BASELINES = {"naive_seasonal": "seasonal naive", "naive_last": "last value"}
ALL = ("mae", "rmse", "mape", "smape", "mase")
DEFAULT_ORIGINS = 3


def forecast_values(y, prediction, scale) -> dict[str, float]:
    """All five metrics on one set of forecast rows (a metric these rows leave undefined is left out)."""
    values = {"mae": fm.mae(y, prediction), "rmse": fm.rmse(y, prediction), "mape": fm.mape(y, prediction),
              "smape": fm.smape(y, prediction), "mase": fm.mase(y, prediction, scale)}
    return {k: v for k, v in values.items() if not np.isnan(v)}


def _caveats(rows: pd.DataFrame, label: str) -> dict:
    y, scale = rows[label].to_numpy(float), rows[SCALE].to_numpy(float)
    return {"zero_actuals_left_out_of_mape": int((y == 0).sum()),
            "rows_without_mase_scale": int((~(np.isfinite(scale) & (scale > 0))).sum())}


def backtest_origins(frame: pd.DataFrame, horizon: int, count: int) -> list[pd.Timestamp]:
    """`count` origins one horizon apart, the last one the newest origin whose whole horizon is observed."""
    full = np.sort(frame.loc[frame[STEP] == horizon, ORIGIN].unique())
    if len(full) == 0:
        return []
    picked = [full[len(full) - 1 - k * horizon] for k in range(count) if len(full) - 1 - k * horizon >= 0]
    return [pd.Timestamp(o) for o in sorted(picked)]


def rolling_origin_backtest(frame: pd.DataFrame, *, label: str, timestamp: str, features: list[str], horizon: int,
                            origins: int, headline: str, fit) -> pd.DataFrame:
    """One row per origin: a model re-fitted on the rows whose target is before the origin, scored on
    the rows forecast from that origin (steps 1..horizon), next to both baselines on the same rows."""
    out = []
    for k, origin in enumerate(backtest_origins(frame, horizon, origins), start=1):
        past = frame[frame[timestamp] < origin]
        scored = frame[frame[ORIGIN] == origin]
        if len(past) == 0 or len(scored) == 0:
            continue
        predictor = fit(past[features], past[label])
        prediction = score(predictor, scored[features]).prediction
        y, scale = scored[label].to_numpy(float), scored[SCALE].to_numpy(float)
        row = {"window": k, "train_rows": len(past), "test_start": origin, "test_end": scored[timestamp].max(), "test_rows": len(scored)}
        row |= forecast_values(y, prediction, scale)
        for column, name in BASELINES.items():
            for metric, value in forecast_values(y, scored[column].to_numpy(float), scale).items():
                row[f"{column}_{metric}"] = value
        row[f"baseline_{headline}"] = row.get(f"naive_seasonal_{headline}", np.nan)
        out.append(row)
    return pd.DataFrame(out)


def forecast_report(recipe, training_set, predict, *, context, explainable=None, champion=None, champion_version=None, fit=None):
    """The EvaluationReport of a forecasting model version (see `mmp_assets.evaluation.report.build_report`)."""
    ev, headline, seed = recipe.evaluation, recipe.headline_metric, recipe.split.seed
    test = training_set.part("test")
    if len(test) == 0:
        raise ValueError(f"training set {training_set.recipe} v{training_set.version} has no test rows to evaluate on")
    X_test, y_test = test[training_set.feature_columns], test[training_set.label].to_numpy(float)
    ours = score(predict, X_test)
    values = forecast_values(y_test, ours.prediction, test[SCALE].to_numpy(float))
    wanted = list(dict.fromkeys([headline, *ev.metrics, *ALL]))
    values = {k: values[k] for k in wanted if k in values}
    notes = []
    found = diagnostics("regression", y_test, ours)
    found["forecast"] = {
        "horizon": recipe.forecast.horizon, "season_length": recipe.forecast.season, **_caveats(test, training_set.label),
        "baselines": {name: forecast_values(y_test, test[column].to_numpy(float), test[SCALE].to_numpy(float))
                      for column, name in BASELINES.items()},
        "per_step": [{"step": int(s), "rows": len(rows), **forecast_values(rows[training_set.label], ours.prediction[test[STEP].to_numpy() == s],
                                                                           rows[SCALE])}
                     for s, rows in test.groupby(STEP, sort=True)],
    }
    caveats = found["forecast"]
    if caveats["zero_actuals_left_out_of_mape"]:
        notes.append(f"{caveats['zero_actuals_left_out_of_mape']} test row(s) have an actual of 0: mape leaves them out (no percentage error exists)")
    if caveats["rows_without_mase_scale"]:
        notes.append(f"{caveats['rows_without_mase_scale']} test row(s) belong to series with a zero or unknown in-sample seasonal "
                     "naive error (constant, or too short before the test start): mase leaves them out")
    metrics = MetricReport(values, headline, bootstrap_interval(TASK, headline, y_test, ours, ev.bootstrap, seed), found)
    comparisons = sorted(
        (paired_comparison(TASK, headline, y_test, ours, Scores(test[column].to_numpy(float)), against=f"baseline ({name})",
                           resamples=ev.bootstrap, seed=seed) for column, name in BASELINES.items()),
        key=lambda c: c.improvement)  # the stronger baseline (the smaller improvement over it) first: the one the gate uses
    champion_value = None
    if champion is not None:
        try:
            versus = paired_comparison(TASK, headline, y_test, ours, score(champion, X_test), against=f"champion v{champion_version}",
                                       resamples=ev.bootstrap, seed=seed)
            comparisons.append(versus)
            champion_value = versus.theirs
        except Exception as exc:  # noqa: BLE001 - an old champion may need inputs the recipe no longer builds
            notes.append(f"champion v{champion_version} could not score the test rows ({type(exc).__name__}: {exc}); "
                         "no champion comparison, relative gate rule skipped")
    gate = evaluate_gate(ev.gate, values, headline=headline, headline_direction=get_metric(headline, TASK).direction,
                         champion_value=champion_value, baseline_value=comparisons[0].theirs if ev.beat_baseline else None)
    figures = {"residuals": plots.residual_plot(y_test, ours.prediction)}
    report = EvaluationReport(recipe, context, len(y_test), metrics, comparisons, gate, figures=figures, notes=notes)
    if fit is not None:
        origins = (ev.backtest or {"windows": DEFAULT_ORIGINS})["windows"]
        table = rolling_origin_backtest(training_set.frame, label=training_set.label, timestamp=training_set.timestamp,
                                        features=training_set.feature_columns, horizon=recipe.forecast.horizon,
                                        origins=origins, headline=headline, fit=fit)
        report.backtest = table
        if len(table):
            averaged = {m: float(table[m].mean()) for m in ALL if m in table}
            averaged |= {f"{c}_{m}": float(table[f"{c}_{m}"].mean()) for c in BASELINES for m in ALL if f"{c}_{m}" in table}
            caveats["backtest_mean"] = averaged
            report.figures["backtest"] = plots.backtest_plot(table, headline)
    else:
        report.notes.append("no fit function was available; rolling-origin backtest skipped")
    _add_explanation(report, recipe, training_set, explainable, ours, X_test)
    _add_drift(report, recipe, training_set)
    return report
