"""Splits are deterministic and leak-free; the leakage check catches what it must."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mmp_assets.feature_store import load_training_set
from mmp_assets.feature_store.leakage import leakage_violations
from mmp_assets.feature_store.training_build import materialize_training_set
from mmp_assets.feature_store.views import materialize_view


def _events(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    days = np.sort(rng.integers(0, 40, n))  # many rows share a day, so boundaries fall inside ties
    return pd.DataFrame({
        "user_id": [f"u{i % 37}" for i in range(n)], "store": [f"s{i % 5}" for i in range(n)],
        "t": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"), "y": rng.integers(0, 2, n),
    })


@pytest.fixture
def project(fs_project):
    fs_project.source("events", _events())
    fs_project.source("snaps", pd.DataFrame({"user_id": ["u1"], "t0": [pd.Timestamp("2023-12-01")], "f": [1.0]}))
    fs_project.view("v", entity="user_id", timestamp="t0", source="snaps")
    with fs_project.connect() as conn:
        recipes = fs_project.recipes()
        materialize_view(conn, recipes.views["v"], recipes, fs_project.root, keep=10)
    return fs_project


def _build(project, **split):
    project.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y"},
                  features=[{"view": "v"}], split={"validation": 0.2, "test": 0.2, **split})
    recipes = project.recipes()
    with project.connect() as conn:
        outcome = materialize_training_set(conn, recipes.models["m"], recipes, project.root)
        return outcome, load_training_set(conn, recipes.models["m"])


def test_temporal_split_is_ordered_in_time_with_ties_going_later(project):
    outcome, loaded = _build(project, strategy="temporal")
    spans = loaded.frame.groupby("split")["t"].agg(["min", "max"])
    assert spans.loc["train", "max"] < spans.loc["validation", "min"]
    assert spans.loc["validation", "max"] < spans.loc["test", "min"]
    assert len(loaded.part("train")) <= 0.6 * 400 + 1  # boundary ties moved to the later split
    assert outcome.entry.details["split_counts"] == loaded.frame["split"].value_counts().to_dict()


def test_group_split_keeps_each_group_in_one_split(project):
    _, by_entity = _build(project, strategy="group")
    assert by_entity.frame.groupby("user_id")["split"].nunique().max() == 1
    _, by_store = _build(project, strategy="group", group="store")
    assert by_store.frame.groupby("store")["split"].nunique().max() == 1


def test_stratified_split_keeps_the_label_mix(project):
    _, loaded = _build(project, strategy="stratified")
    rates = loaded.frame.groupby("split")["y"].mean()
    assert rates.max() - rates.min() < 0.05
    assert loaded.frame["split"].value_counts().to_dict() == pytest.approx({"train": 240, "validation": 80, "test": 80}, abs=2)


def test_random_split_is_deterministic_with_the_seed(project):
    first, a = _build(project, strategy="random", seed=1)
    again, b = _build(project, strategy="random", seed=1)
    other, c = _build(project, strategy="random", seed=2)
    assert again.status == "unchanged" and a.frame["split"].tolist() == b.frame["split"].tolist()
    assert other.status == "published" and a.frame["split"].tolist() != c.frame["split"].tolist()


def test_leakage_check_reports_future_features_and_overlapping_splits(project):
    _, loaded = _build(project, strategy="temporal")
    recipes = project.recipes()
    with project.connect() as conn:
        outcome = materialize_training_set(conn, recipes.models["m"], recipes, project.root)
        table = outcome.entry.table_name
        conn.execute(f"CREATE TABLE leaky AS SELECT * REPLACE (t + INTERVAL 1 DAY AS __ts_v) FROM {table}")
        conn.execute("UPDATE leaky SET split = 'train' WHERE split = 'test' AND user_id = 'u3'")
        problems = leakage_violations(conn, "leaky", recipes.models["m"], outcome.joins)
    assert problems == ["400 row(s) joined a v value from after the spine timestamp", "temporal splits overlap in time at 1 boundary(ies)"]
