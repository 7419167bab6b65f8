"""Point-in-time semantics on hand-built frames, compared with expected rows written out."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mmp_assets.feature_store import load_training_set, point_in_time_features
from mmp_assets.feature_store.training_build import materialize_training_set
from mmp_assets.feature_store.views import materialize_view

T = pd.Timestamp

SPINE = pd.DataFrame(
    {
        "event_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "user_id": ["a", "a", "a", "a", "a", "b", "z", "a"],
        "shop": ["s1", "s1", "s2", "s1", "s1", "s2", "s9", "s1"],
        "t": [T("2023-12-31"), T("2024-01-01"), T("2024-01-05"), T("2024-01-10"), T("2024-01-25"), T("2024-01-11"), T("2024-01-05"), T("2024-01-05")],
        "y": [0, 1, 0, 1, 0, 1, 0, None],
    }
)
# event: what it exercises → (prof.v with ttl 10d and <=, prof_strict.v with no ttl and <, shops.rate via on: shop)
EXPECTED = {
    1: (None, None, None),  # before the first feature row
    2: (1.0, None, 0.5),    # exact-timestamp tie: included, except strictly_before
    3: (1.0, 1.0, None),    # inside the ttl; shop s2 has no row yet
    4: (2.0, 1.0, 0.5),     # tie again: the newer row wins with <=, the older with <
    5: (None, 2.0, 0.7),    # 15 days after the last row: beyond the 10d ttl; no ttl on prof_strict
    6: (3.0, 3.0, 0.1),     # exactly 10 days old: the ttl bound is inclusive
    7: (None, None, None),  # unknown entity
    8: (1.0, 1.0, 0.5),     # unlabelled: scored by point_in_time_features, dropped from the training set
}


@pytest.fixture
def project(fs_project):
    users = pd.DataFrame({"user_id": ["a", "a", "b"], "snapshot_time": [T("2024-01-01"), T("2024-01-10"), T("2024-01-01")], "v": [1.0, 2.0, 3.0]})
    shops = pd.DataFrame({"merchant_id": ["s1", "s1", "s2"], "at": [T("2024-01-01"), T("2024-01-20"), T("2024-01-08")], "rate": [0.5, 0.7, 0.1]})
    fs_project.source("users", users)
    fs_project.source("shops_raw", shops)
    fs_project.source("events", SPINE)
    fs_project.view("prof", entity="user_id", timestamp="snapshot_time", ttl="10d", source="users")
    fs_project.view("prof_strict", entity="user_id", timestamp="snapshot_time", strictly_before=True, source="users")
    fs_project.view("shops", entity="merchant_id", timestamp="at", source="shops_raw")
    fs_project.model(
        "m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y", "columns": ["event_id"]},
        features=[{"view": "prof"}, {"view": "prof_strict"}, {"view": "shops", "on": "shop"}],
        split={"strategy": "random", "validation": 0.25, "test": 0.25},
    )
    recipes = fs_project.recipes()
    with fs_project.connect() as conn:
        for view in recipes.views.values():
            materialize_view(conn, view, recipes, fs_project.root, keep=10)
    return fs_project


def _rows(frame: pd.DataFrame) -> dict[int, tuple]:
    clean = lambda x: None if x is None or (isinstance(x, float) and math.isnan(x)) else x  # noqa: E731
    return {int(r.event_id): (clean(r.prof__v), clean(r.prof_strict__v), clean(r.rate)) for r in frame.itertuples()}


def test_point_in_time_features_match_the_expected_rows(project):
    recipes = project.recipes()
    with project.connect() as conn:
        frame = point_in_time_features(conn, recipes.models["m"], recipes, SPINE.drop(columns="y"))
    assert frame["event_id"].tolist() == SPINE["event_id"].tolist()  # order kept, no row dropped
    assert _rows(frame) == EXPECTED
    assert not any(c.startswith("__") for c in frame.columns)


def test_training_set_joins_the_same_way_and_drops_only_unlabelled_rows(project):
    recipes = project.recipes()
    recipe = recipes.models["m"]
    with project.connect() as conn:
        outcome = materialize_training_set(conn, recipe, recipes, project.root)
        loaded = load_training_set(conn, recipe)
    assert outcome.status == "published" and outcome.unlabelled == 1
    assert _rows(loaded.frame) == {k: v for k, v in EXPECTED.items() if k != 8}
    assert loaded.feature_columns == ["event_id", "prof__v", "prof_strict__v", "rate"]
    assert loaded.pinned_views == {"prof": 1, "prof_strict": 1, "shops": 1}
    joined = loaded.frame.set_index("event_id")
    assert joined.loc[4, "__ts_prof"] == T("2024-01-10") and joined.loc[4, "__ts_prof_strict"] == T("2024-01-01")
    assert pd.isna(joined.loc[5, "__ts_prof"])  # beyond the ttl nothing was joined
    assert set(loaded.frame["split"]) <= {"train", "validation", "test"}


def test_pinned_versions_are_used_when_asked(project):
    recipes = project.recipes()
    project.source("users", pd.DataFrame({"user_id": ["a"], "snapshot_time": [T("2023-01-01")], "v": [9.0]}))
    recipes = project.recipes()
    with project.connect() as conn:
        assert materialize_view(conn, recipes.views["prof_strict"], recipes, project.root, keep=10).entry.version == 2
        latest = point_in_time_features(conn, recipes.models["m"], recipes, SPINE.iloc[[2]])
        pinned = point_in_time_features(conn, recipes.models["m"], recipes, SPINE.iloc[[2]], view_versions={"prof_strict": 1})
    assert latest["prof_strict__v"].tolist() == [9.0] and pinned["prof_strict__v"].tolist() == [1.0]
    assert latest.index.tolist() == [2]


def test_scoring_rows_with_a_same_named_column_get_the_views_value(project):
    recipes = project.recipes()
    scoring = SPINE.drop(columns="y").assign(rate=-1.0)
    with project.connect() as conn:
        frame = point_in_time_features(conn, recipes.models["m"], recipes, scoring)
    assert list(frame.columns).count("rate") == 1
    assert _rows(frame) == EXPECTED
