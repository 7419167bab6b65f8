"""The default demo directory: cached by its manifest, crash-safe, realistic volume and real signal."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from mmp_assets.demo import write_demo_data
from mmp_assets.demo.files import sha256 as _sha


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo_project")
    write_demo_data(root)
    return root


def test_write_demo_data_skips_intact_files_and_regenerates_edited_ones(demo_project):
    demo = demo_project / "data" / "demo"
    paths = write_demo_data(demo_project)
    before = {n: (p.stat().st_mtime_ns, _sha(p)) for n, p in paths.items()}
    assert write_demo_data(demo_project) == paths
    assert {n: p.stat().st_mtime_ns for n, p in paths.items()} == {n: m for n, (m, _) in before.items()}

    with paths["user_snapshots"].open("ab") as f:
        f.write(b"edited")
    write_demo_data(demo_project)
    assert {n: _sha(p) for n, p in paths.items()} == {n: h for n, (_, h) in before.items()}
    assert sorted(p.name for p in demo.iterdir()) == sorted([*(p.name for p in paths.values()), "manifest.json"])


def test_default_size_has_realistic_volume_and_drift(demo_project):
    demo = demo_project / "data" / "demo"
    stats = duckdb.sql(
        f"""SELECT count(*), avg(is_fraud), avg(amount), avg((channel = 'online')::INT)
        FROM '{demo}/transactions.parquet'"""
    ).fetchall()[0]
    scoring = duckdb.sql(
        f"SELECT avg(amount), avg((channel = 'online')::INT) FROM '{demo}/scoring_transactions.parquet'"
    ).fetchall()[0]
    rows, fraud_rate, mean_amount, online_share = stats
    assert 60_000 <= rows <= 90_000
    assert 0.02 <= fraud_rate <= 0.04
    assert mean_amount * 1.03 < scoring[0] < mean_amount * 1.3
    assert online_share + 0.03 < scoring[1] < online_share + 0.2


def test_a_simple_model_learns_real_signal_on_a_later_slice(demo_project):
    demo = demo_project / "data" / "demo"
    rows = duckdb.sql(
        f"""
        SELECT t.event_time, t.is_fraud, t.amount / u.avg_amount_30d AS amount_ratio, t.hour_of_day,
            (t.channel = 'online')::INT AS online, m.merchant_fraud_rate_90d
        FROM '{demo}/transactions.parquet' AS t
        ASOF LEFT JOIN '{demo}/user_snapshots.parquet' AS u
            ON t.user_id = u.user_id AND t.event_time >= u.snapshot_time
        ASOF LEFT JOIN '{demo}/merchant_snapshots.parquet' AS m
            ON t.merchant_id = m.merchant_id AND t.event_time >= m.snapshot_time
        ORDER BY t.event_time, t.transaction_id
        """
    ).df()
    features = ["amount_ratio", "hour_of_day", "online", "merchant_fraud_rate_90d"]
    cut = int(len(rows) * 0.7)
    train, test = rows.iloc[:cut], rows.iloc[cut:]
    # One thread: OpenMP spinning on a shared 2-core machine makes this 20x slower, not faster.
    with threadpool_limits(1):
        model = HistGradientBoostingClassifier(max_iter=100, random_state=0).fit(train[features], train["is_fraud"])
        auc = roc_auc_score(test["is_fraud"], model.predict_proba(test[features])[:, 1])
    assert 0.75 < auc < 0.95


def test_a_failed_regeneration_keeps_the_old_files_and_is_retried(demo_project, monkeypatch):
    demo = demo_project / "data" / "demo"
    paths = write_demo_data(demo_project)
    hashes = {n: _sha(p) for n, p in paths.items()}
    paths["scoring_transactions"].unlink()

    def interrupted(out_dir: Path, **_) -> None:
        (out_dir / "transactions.parquet").write_bytes(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr("mmp_assets.demo.generator.generate_demo_data", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_demo_data(demo_project)
    assert _sha(paths["transactions"]) == hashes["transactions"]
    assert sorted(p.name for p in demo.iterdir()) == sorted(p.name for n, p in paths.items() if n != "scoring_transactions")

    monkeypatch.undo()
    assert {n: _sha(p) for n, p in write_demo_data(demo_project).items()} == hashes
