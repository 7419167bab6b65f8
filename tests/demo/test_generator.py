"""The demo dataset on a small world: deterministic, exactly the recipes' schemas, past-only snapshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
import yaml

from mmp_assets.demo import generate_demo_data
from mmp_assets.demo.files import sha256 as _sha

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
SMALL = {"n_users": 200, "n_merchants": 40, "months": 2}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> dict[str, Path]:
    return generate_demo_data(tmp_path_factory.mktemp("small"), **SMALL)


def _frames(paths: dict[str, Path]) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(path) for name, path in paths.items()}


def test_same_seed_gives_identical_bytes_and_another_seed_differs(small, tmp_path):
    again = generate_demo_data(tmp_path / "again", **SMALL)
    assert {n: _sha(p) for n, p in again.items()} == {n: _sha(p) for n, p in small.items()}
    other = generate_demo_data(tmp_path / "other", seed=8, **SMALL)
    assert _sha(other["transactions"]) != _sha(small["transactions"])


def test_columns_and_duckdb_types_match_the_recipes_exactly(small):
    def schema(path: str) -> list[tuple[str, str]]:
        return list(yaml.safe_load((RECIPES / path).read_text())["schema"].items())

    transactions = schema("sources/transactions.yaml")
    expected = {
        "transactions": transactions,
        "scoring_transactions": [c for c in transactions if c[0] != "is_fraud"],
        "user_snapshots": schema("features/user_profile.yaml"),
        "merchant_snapshots": schema("features/merchant_profile.yaml"),
    }
    for name, path in small.items():
        described = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{path}')").fetchall()
        assert [(row[0], row[1]) for row in described] == expected[name], name


def test_user_snapshots_use_only_the_previous_30_days(small):
    f = _frames(small)
    txns = pl.concat([f["transactions"].drop("is_fraud"), f["scoring_transactions"]])
    snaps = f["user_snapshots"]
    assert snaps.filter(pl.col("txn_count_30d") == 0)["avg_amount_30d"].null_count() > 0
    checked = snaps.filter(pl.col("user_id").is_in(["u00003", "u00042", "u00117", "u00199"]))
    assert checked.height > 10
    for snap in checked.iter_rows(named=True):
        at = snap["snapshot_time"]
        window = txns.filter(
            (pl.col("user_id") == snap["user_id"]) & (pl.col("event_time") >= at - timedelta(days=30)) & (pl.col("event_time") < at)
        )
        assert snap["txn_count_30d"] == window.height
        assert snap["distinct_merchants_30d"] == window["merchant_id"].n_unique()
        if window.height == 0:
            assert snap["avg_amount_30d"] is None and snap["max_amount_30d"] is None
            continue
        assert snap["avg_amount_30d"] == pytest.approx(window["amount"].mean(), abs=1e-4)
        assert snap["max_amount_30d"] == window["amount"].max()
        assert snap["night_share_30d"] == pytest.approx((window["hour_of_day"] < 6).mean(), abs=1e-4)


def test_merchant_fraud_rate_uses_only_labels_at_least_30_days_old(small):
    f = _frames(small)
    txns, snaps = f["transactions"], f["merchant_snapshots"]
    # Every label a snapshot may use is a training label: scoring labels never leak.
    assert snaps["snapshot_time"].max() - timedelta(days=30) <= f["scoring_transactions"]["event_time"].min()
    assert snaps["merchant_fraud_rate_90d"].null_count() > 0  # nothing is known in the first month
    for snap in snaps.filter(pl.col("merchant_id").is_in(["m0001", "m0007", "m0023"])).iter_rows(named=True):
        at = snap["snapshot_time"]
        known = txns.filter(
            (pl.col("merchant_id") == snap["merchant_id"])
            & (pl.col("event_time") >= at - timedelta(days=120))
            & (pl.col("event_time") < at - timedelta(days=30))
        )
        expected = known["is_fraud"].mean() if known.height else None
        assert snap["merchant_fraud_rate_90d"] == pytest.approx(expected, abs=1e-6)


def test_scoring_rows_are_unlabelled_later_and_covered_by_snapshots(small):
    f = _frames(small)
    training, scoring = f["transactions"], f["scoring_transactions"]
    assert "is_fraud" not in scoring.columns and scoring.height > 0
    assert scoring["event_time"].min() > training["event_time"].max()
    assert scoring["transaction_id"].min() == training["transaction_id"].max() + 1
    for snaps in (f["user_snapshots"], f["merchant_snapshots"]):
        assert snaps["snapshot_time"].max() > scoring["event_time"].max() - timedelta(days=7)
