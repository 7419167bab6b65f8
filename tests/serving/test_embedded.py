"""`mmp serve` in the embedded default: features from the offline store's snapshot, no services.

One module, one materialized project: the real process runs first, then the app in process.
"""

from __future__ import annotations

import time

import duckdb
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from mmp_assets.serving import build_serving_app
from mmp_assets.serving.snapshot import SnapshotFeatures
from mmp_assets.recipes import load_recipes
from tests.serving.conftest import USERS, call, materialize_views, register_toy_model, running_serve

ROW = {"user_id": "u1", "merchant_id": "m1", "amount": 12.5, "channel": "pos", "event_time": "2026-06-15T00:00:00"}


@pytest.mark.slow
def test_mmp_serve_in_the_embedded_default_scores_reports_metrics_and_follows_champion(embedded_project) -> None:
    root, env, _ = embedded_project
    with running_serve(root, env, "--reload-interval", "0.5") as port:
        status, body = call(port, "/predict", {"rows": [ROW]})
        assert status == 200, body
        assert body["predictions"][0]["prediction"] == 12.5 + 10 * 3 + 100 * 0.25  # features from the offline store
        # the server holds no DuckDB connection: a materialization can open the store for writing meanwhile
        with duckdb.connect(str(root / "base-data" / "mmp.duckdb")) as writer:
            writer.execute("CREATE TABLE serve_probe AS SELECT 1 AS x")
            assert call(port, "/predict", {"rows": [ROW]})[0] == 200
        status, body = call(port, "/predict", {"rows": [{**ROW, "amount": "lots"}]})
        assert status == 422 and body["error"] == "rows[0].amount: Input should be a valid number (got 'lots')"

        families = {f.name: f for f in text_string_to_metric_families(call(port, "/metrics")[1])}
        assert {"mmp_serve_requests", "mmp_serve_request_duration_seconds", "mmp_serve_model_version"} <= set(families)

        champion = register_toy_model(root, "champion", env=env)
        deadline = time.monotonic() + 60
        while call(port, "/model/metadata")[1]["version"] != champion:
            assert time.monotonic() < deadline, "the served version did not follow champion within 60 s"
            time.sleep(0.5)
        assert call(port, "/predict", {"rows": [ROW]})[1]["version"] == champion


@pytest.fixture(scope="module")
def served(embedded_project):
    root, env, _ = embedded_project
    app, state = build_serving_app(root, "toy", env, reload_interval_s=0)  # the tests poll themselves
    with TestClient(app) as client:
        yield client, state


def predict(client, *rows, headers=None):
    return client.post("/predict", json={"rows": list(rows)}, headers=headers)


def test_scores_rows_with_the_latest_offline_values(served):
    client, _ = served
    body = predict(client, ROW, {**ROW, "user_id": "u2"}, {**ROW, "user_id": "nobody"}).json()
    # u1: its newer row (txn_count 3) wins over the older one; u2: txn_count 5; unknown: no user features
    assert [p["prediction"] for p in body["predictions"][:2]] == [12.5 + 10 * 3 + 100 * 0.25, 12.5 + 10 * 5 + 100 * 0.25]
    assert [p["missing_features"] for p in body["predictions"]] == [[], [], ["user_profile"]]
    assert body["feature_versions"] == {"user_profile": 1, "merchant_profile": 1}


def test_features_passed_in_the_request_win_and_spare_the_entity_id(served):
    client, _ = served
    passed = {**{k: v for k, v in ROW.items() if k != "user_id"}, "txn_count": 7, "user_profile__avg_amount": None}
    body = predict(client, passed).json()
    assert body["predictions"] == [{"prediction": 12.5 + 10 * 7 + 100 * 0.25, "missing_features": []}]


def test_a_bad_request_is_a_422_whose_error_is_one_line(served):
    client, _ = served
    response = predict(client, {**ROW, "amount": "lots"}, {**ROW, "colour": "red"})
    assert response.status_code == 422
    assert response.json()["error"] == "rows[0].amount: Input should be a valid number (got 'lots') (and 1 more problems)"
    nan = client.post("/predict", content=b'{"rows": [{"user_id": "u1", "merchant_id": "m1", "amount": NaN, "channel": "pos"}]}')
    assert nan.status_code == 422 and nan.json()["error"] == "rows[0].amount: Input should be a finite number (got nan)"
    missing = predict(client, {k: v for k, v in ROW.items() if k != "user_id"})
    assert missing.status_code == 422 and missing.json()["error"] == (
        "rows[0].user_id: is required but missing (features/user_profile is looked up by it; "
        "or pass all of txn_count, user_profile__avg_amount)"
    )


def test_every_response_carries_a_request_id(served):
    client, _ = served
    assert predict(client, ROW, headers={"X-Request-ID": "trace-42"}).headers["X-Request-ID"] == "trace-42"
    generated = client.get("/health", headers={"X-Request-ID": "bad id\twith tab"}).headers["X-Request-ID"]
    assert len(generated) == 32 and generated != client.get("/health").headers["X-Request-ID"]
    assert client.get("/nope").headers["X-Request-ID"]


def test_ready_metadata_and_schema(served, embedded_project):
    client, state = served
    assert client.get("/ready").json() == {"status": "ready", "model": "toy", "version": state.current.model.version}
    metadata = client.get("/model/metadata").json()
    assert metadata["features"]["source"] == "offline_snapshot" and metadata["recipe"] == "toy"
    schema = client.get("/model/schema").json()
    assert schema["features"] == {"user_profile": ["txn_count", "user_profile__avg_amount"],
                                  "merchant_profile": ["merchant_profile__avg_amount", "fraud_rate"]}  # fmt: skip
    row = schema["request"]["$defs"]["toy_row"]["properties"]
    assert {"user_id", "merchant_id", "amount", "channel", "event_time", "txn_count", "fraud_rate"} <= set(row)


def test_metrics_parse_as_prometheus_text(served):
    client, state = served
    predict(client, ROW, ROW)
    families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
    requests = {(s.labels["endpoint"], s.labels["status"]): s.value for s in families["mmp_serve_requests"].samples if s.name.endswith("_total")}
    assert requests[("/predict", "200")] >= 1
    assert any(s.name.endswith("_bucket") for s in families["mmp_serve_request_duration_seconds"].samples)
    [version] = families["mmp_serve_model_version"].samples
    assert version.value == float(state.current.model.version) and version.labels["model"] == "toy"


def test_a_new_view_version_is_picked_up_without_a_restart(served, embedded_project):
    client, state = served
    root = embedded_project[0]
    USERS.assign(txn_count=USERS["txn_count"] * 2).to_parquet(root / "users.parquet")
    try:
        materialize_views(root)
        state.poll()
        body = predict(client, ROW).json()
        assert body["feature_versions"]["user_profile"] == 2 and body["predictions"][0]["prediction"] == 12.5 + 10 * 6 + 100 * 0.25
    finally:
        USERS.to_parquet(root / "users.parquet")


def test_moving_champion_changes_the_served_version(served, embedded_project):
    client, state = served
    before = client.get("/model/metadata").json()["version"]
    champion = register_toy_model(embedded_project[0], "champion", env="base")
    assert state.poll() is True
    assert (predict(client, ROW).json()["version"], client.get("/model/metadata").json()["alias"]) == (champion, "champion")
    assert champion != before and state.poll() is False


def test_a_missing_offline_store_is_one_clear_line(embedded_project, tmp_path):
    root = embedded_project[0]
    recipes = load_recipes(root)
    with pytest.raises(LookupError, match=r"none\.duckdb: the offline feature store does not exist yet; materialize the recipe's feature views first"):
        SnapshotFeatures(str(tmp_path / "none.duckdb"), recipes.models["toy"], recipes)
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    with pytest.raises(LookupError, match=r"empty\.duckdb: feature view 'user_profile' has no published version yet; materialize it first"):
        SnapshotFeatures(str(tmp_path / "empty.duckdb"), recipes.models["toy"], recipes)


def test_cli_refuses_a_negative_reload_interval_and_names_a_missing_model(embedded_project, monkeypatch, capsys):
    from mmp_assets.cli.main import main

    root = embedded_project[0]
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.delenv("MMP_ENV", raising=False)
    assert main(["serve", "toy", "--reload-interval", "-1"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == "--reload-interval: -1.0 is negative; give seconds >= 0 (0: never reload)"
    assert main(["serve", "toy", "--alias", "staging"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "mmp serve: registered model 'toy' has no version with alias staging; "
        "materialize toy/model (and promote it with `mmp models promote`) first"
    )


def test_a_store_locked_by_a_writer_at_start_is_one_clear_line(embedded_project, tmp_path):
    import subprocess
    import sys

    recipes = load_recipes(embedded_project[0])
    database = str(tmp_path / "locked.duckdb")
    hold = "import duckdb, sys; conn = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    writer = subprocess.Popen([sys.executable, "-c", hold, database], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        with pytest.raises(LookupError, match=r"locked\.duckdb: another process holds the offline store's lock \(a materialization\?\) after waiting 0\.5 s"):
            SnapshotFeatures(database, recipes.models["toy"], recipes, lock_wait_s=0.5)
    finally:
        writer.stdin.close()
        writer.wait(30)
