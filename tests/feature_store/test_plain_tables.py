"""Plain tables: a spine without timestamp (or entity), static views joined on the key alone, `columns: all`."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mmp_assets.feature_store import load_training_set, point_in_time_features
from mmp_assets.feature_store.training_build import materialize_training_set
from mmp_assets.feature_store.views import materialize_view

T = pd.Timestamp
ROWS = pd.DataFrame({
    "row_id": range(12),
    "shop": ["s1", "s2", "s9", None] * 3,
    "x": [float(i) for i in range(11)] + [None],
    "colour": ["red", "blue"] * 6,
    "leak": range(12),
    "y": [0, 1] * 6,
})
SHOPS = pd.DataFrame({"shop": ["s1", "s2"], "size": [10.0, 20.0], "region": ["north", "south"]})


def _build(project, name: str = "m"):
    recipes = project.recipes()
    with project.connect() as conn:
        for view in recipes.views.values():
            materialize_view(conn, view, recipes, project.root, keep=10)
        outcome = materialize_training_set(conn, recipes.models[name], recipes, project.root)
        return outcome, load_training_set(conn, recipes.models[name])


@pytest.fixture
def plain(fs_project):
    fs_project.source("rows", ROWS)
    fs_project.source("shops", SHOPS)
    fs_project.view("shop_profile", entity="shop", source="shops")  # static: no timestamp
    return fs_project


def test_plain_spine_joins_static_view_and_takes_all_columns_but_the_excluded(plain):
    plain.model("m", spine={"source": "rows", "label": "y", "columns": "all", "exclude": ["row_id", "leak"]},
                features=[{"view": "shop_profile", "on": "shop"}], split={"validation": 0.2, "test": 0.3})
    outcome, loaded = _build(plain)
    assert outcome.status == "published" and outcome.violations == []
    # join keys are not taken by `all` (list them to use them as features)
    assert loaded.feature_columns == ["x", "colour", "size", "region"] and loaded.categorical_columns == ["colour", "region"]
    assert loaded.timestamp is None and loaded.entity == [] and outcome.entry.timestamp_column is None
    assert len(loaded.frame) == 12 and set(loaded.frame[loaded.split_column]) == {"train", "validation", "test"}
    by_shop = loaded.frame.groupby("shop", dropna=False)["size"].first()
    assert by_shop["s1"] == 10.0 and by_shop["s2"] == 20.0 and math.isnan(by_shop["s9"])  # unknown key: NULL, row kept
    assert outcome.entry.details["split_strategy"] == "stratified"  # the plain-table default for classification
    assert "__ts_shop_profile" not in loaded.frame.columns

    # scoring rows get the same join, without a timestamp
    with plain.connect() as conn:
        scored = point_in_time_features(conn, plain.recipes().models["m"], plain.recipes(), ROWS.drop(columns="y").head(3))
    assert list(scored["size"].fillna(-1)) == [10.0, 20.0, -1]
    # and so do batch predictions' rows (`mmp predict`, `<recipe>/predictions`): the static view on its key alone
    from mmp_assets.training.batch import with_features

    with plain.connect() as conn:
        rows, versions = with_features(conn, plain.recipes().models["m"], plain.recipes(), ROWS.drop(columns="y").head(3),
                                       ["x", "colour", "size", "region"], "rows.csv")
    assert list(rows["region"].fillna("-")) == ["north", "south", "-"] and versions == {"shop_profile": 1}


def test_static_view_joins_a_timestamped_spine_on_the_key_alone(plain):
    events = ROWS.assign(t=pd.date_range("2024-01-01", periods=12, freq="D"))
    plain.source("events", events)
    plain.model("m", spine={"source": "events", "entity": "shop", "timestamp": "t", "label": "y", "columns": ["x"]},
                features=[{"view": "shop_profile"}], split={"strategy": "temporal"})
    outcome, loaded = _build(plain)
    assert outcome.status == "published" and outcome.violations == []
    assert list(loaded.frame.loc[loaded.frame["shop"] == "s1", "size"].unique()) == [10.0]
    assert outcome.entry.details["order_by"].split(",")[0].strip('" ') == "t"  # readers get rows in event-time order
    assert loaded.frame["t"].is_monotonic_increasing


def test_static_view_with_two_rows_for_one_key_fails_its_contract(plain):
    plain.source("shops", pd.concat([SHOPS, SHOPS.head(1)]))
    recipes = plain.recipes()
    with plain.connect() as conn:
        outcome = materialize_view(conn, recipes.views["shop_profile"], recipes, plain.root, keep=10)
    assert outcome.status == "rejected"
    assert outcome.report.violations == ["2 row(s) share their key (shop) with another row"]


def test_group_and_random_splits_work_without_a_timestamp(plain):
    plain.model("m", task="regression", tuning={"metric": "rmse", "n_trials": 1},
                spine={"source": "rows", "label": "x", "columns": ["colour"]}, split={"strategy": "group", "group": "shop"})
    outcome, loaded = _build(plain)
    assert outcome.violations == [] and loaded.frame.groupby("shop", dropna=False)["split"].nunique().max() == 1
    plain.model("m", task="regression", tuning={"metric": "rmse", "n_trials": 1}, spine={"source": "rows", "label": "x", "columns": ["colour"]})
    outcome, _ = _build(plain)
    assert outcome.entry.details["split_strategy"] == "random"  # the plain-table default for regression


def test_an_exclude_naming_no_column_or_an_empty_all_fails_before_anything_is_staged(plain):
    plain.model("m", spine={"source": "rows", "label": "y", "columns": "all", "exclude": ["row_idd"]})
    with pytest.raises(ValueError) as error:
        _build(plain)
    assert str(error.value) == ("recipes/m.yaml: spine.exclude: 'row_idd' not in source 'rows'; "
                                "its columns: row_id, shop, x, colour, leak, y")
    plain.model("m", spine={"source": "rows", "label": "y", "columns": "all", "exclude": ["row_id", "shop", "x", "colour", "leak"]})
    with pytest.raises(ValueError) as error:
        _build(plain)
    assert str(error.value) == ("recipes/m.yaml: spine.columns: no feature column: `all` leaves nothing once the entity, timestamp, "
                                "label, join keys, split group and exclude are taken out; exclude fewer columns or join a feature view")
    with plain.connect() as conn:
        assert conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'ts_%'").fetchone()[0] == 0


def test_all_refuses_a_column_no_model_step_reads(plain):
    plain.source("dated", ROWS.assign(signed_up=pd.date_range("2024-01-01", periods=12)))
    plain.model("m", spine={"source": "dated", "label": "y", "columns": "all", "exclude": ["row_id", "leak"]})
    with pytest.raises(ValueError) as error:
        _build(plain)
    assert str(error.value) == ("recipes/m.yaml: spine.columns: `all` takes 'signed_up' (TIMESTAMP_NS), which no preprocessing step "
                                "reads; add it to exclude, or turn it into numbers or text in a source `sql`")
