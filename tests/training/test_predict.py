"""`mmp predict` and `<recipe>/predictions` on the tiny synthetic project (tests/automation/synthetic.py),
materialized once for the module: `alpha` has no monitoring section, so its predictions score its test split."""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import mlflow
import pandas as pd
import pytest

from mmp_assets.cli.main import main
from mmp_assets.training.batch_io import read_provenance
from tests.automation.synthetic import build_project, materialize, project_definitions

SELECTION = ["features/user_view", "alpha/training_set", "alpha/model", "alpha/predictions"]


@pytest.fixture(scope="module")
def scored_project(tmp_path_factory):
    """(root, config) after one materialization of alpha, selected as the active project."""
    from mmp_resources import load_config

    root = build_project(tmp_path_factory.mktemp("predict") / "project")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MMP_PROJECT_DIR", str(root))
        env.setenv("MMP_DATA_DIR", str(root / ".mmp"))
        env.delenv("MMP_ENV", raising=False)
        env.delenv("MMP_ALERT_WEBHOOK_URL", raising=False)
        with dg.instance_for_test() as instance:
            defs = project_definitions(root)
            assert defs.resolve_job_def("observe_sources").execute_in_process(instance=instance).success
            assert materialize(defs, instance, SELECTION).success
        yield root, load_config(root)


def _store(config):
    return duckdb.connect(config.duckdb_path, read_only=True)


def _pyfunc_scores(config, frame: pd.DataFrame) -> pd.DataFrame:
    """What the registered pyfunc answers for rows that already carry its inputs."""
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_registry_uri(config.registry_uri)
    model = mlflow.pyfunc.load_model("models:/alpha/1")
    inputs = [c.name for c in model.metadata.get_input_schema().inputs]
    return model.predict(frame[inputs].astype("float64"))


def test_predictions_asset_scores_the_test_split_without_monitoring(scored_project):
    _, config = scored_project
    with _store(config) as conn:
        scored = conn.execute("SELECT * FROM pred_alpha").df()
        test = conn.execute("SELECT * FROM ts_alpha WHERE split = 'test'").df()
    assert len(scored) == len(test) > 0
    assert set(scored["model_version"]) == {"1"} and set(scored["feature_view_versions"]) == {'{"user_view": 1}'}
    ordered = scored.sort_values(["event_time", "user_id"]).reset_index(drop=True)
    expected = _pyfunc_scores(config, test.sort_values(["event_time", "user_id"]).reset_index(drop=True))
    pd.testing.assert_series_equal(ordered["probability"], expected["probability"], check_names=False)


def test_predict_writes_a_parquet_file_that_round_trips(scored_project, tmp_path, capsys):
    """Rows with the spine timestamp get the view joined point-in-time; one row has no timestamp (no
    features, still scored) and one an unknown user; the file holds every row, in order."""
    from mmp_assets.feature_store import point_in_time_features
    from mmp_assets.recipes import load_recipes

    root, config = scored_project
    rows = pd.read_parquet(root / "data" / "events.parquet").drop(columns="label").head(40).reset_index(drop=True)
    rows.loc[3, "event_time"] = pd.NaT
    rows.loc[5, "user_id"] = "nobody"
    rows["note"] = "kept as is"
    rows.to_parquet(tmp_path / "rows.parquet", index=False)

    assert main(["predict", "alpha", "--input", str(tmp_path / "rows.parquet"), "--output", str(tmp_path / "out" / "scores.parquet")]) == 0
    assert "scored 40 rows with alpha version 1 (candidate); feature views: user_view v1; wrote" in capsys.readouterr().out

    back = pd.read_parquet(tmp_path / "out" / "scores.parquet")
    assert len(back) == 40 and back["note"].eq("kept as is").all()
    pd.testing.assert_frame_equal(back[list(rows.columns)], rows, check_dtype=False)
    with _store(config) as conn:
        featured = point_in_time_features(conn, load_recipes(root).models["alpha"], load_recipes(root), rows, view_versions={"user_view": 1})
    assert featured.loc[[3, 5], ["p1", "p2"]].isna().all().all()  # no timestamp, unknown user: no features, still scored
    pd.testing.assert_series_equal(back["probability"], _pyfunc_scores(config, featured)["probability"], check_names=False)
    assert set(back["model_version"]) == {"1"} and set(back["feature_view_versions"]) == {'{"user_view": 1}'}
    provenance = read_provenance(tmp_path / "out" / "scores.parquet")
    assert provenance["model_version"] == "1" and provenance["feature_view_versions"] == {"user_view": 1}
    assert provenance["model_alias"] == "candidate" and provenance["rows"] == 40
    assert pd.Timestamp(provenance["scored_at"]) == back["scored_at"].iloc[0]


def test_predict_scores_a_source_to_csv_and_rows_with_their_features_to_a_table(scored_project, tmp_path, capsys):
    root, config = scored_project
    assert main(["predict", "alpha", "--source", "events", "--version", "1", "--output", str(tmp_path / "events.csv")]) == 0
    written = pd.read_csv(tmp_path / "events.csv")
    assert len(written) == len(pd.read_parquet(root / "data" / "events.parquet"))
    assert {"prediction", "probability", "model_version", "feature_view_versions", "scored_at"} <= set(written.columns)

    # rows that already carry every model input (no timestamp): scored as given, no view joined
    with _store(config) as conn:
        test = conn.execute("SELECT x, p1, p2 FROM ts_alpha WHERE split = 'test' ORDER BY event_time, user_id").df()
    test.to_csv(tmp_path / "features.csv", index=False)
    capsys.readouterr()
    assert main(["predict", "alpha", "--input", str(tmp_path / "features.csv"), "--alias", "candidate", "--output", "duckdb:alpha_scores"]) == 0
    assert "feature views: none joined; wrote table alpha_scores" in capsys.readouterr().out
    with _store(config) as conn:
        table = conn.execute("SELECT * FROM alpha_scores").df()
    pd.testing.assert_series_equal(table["probability"], _pyfunc_scores(config, test)["probability"], check_names=False)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["nope", "--source", "events"], "recipe: unknown model recipe 'nope'; known: alpha, beta, gamma"),
        (["alpha", "--source", "nope"], "--source: unknown source 'nope'; known: events, merchants, profiles"),
        (["alpha", "--source", "events", "--version", "9"], "--version: alpha has no version 9; its versions: 1"),
        (["alpha", "--source", "events", "--alias", "champion"], "--alias: alpha has no alias 'champion'; its aliases: candidate"),
        (["beta", "--source", "events"], "beta has no registered model; materialize beta/model first"),
        (["alpha", "--input", "{tmp}/missing.parquet"], "--input: {tmp}/missing.parquet: no such file"),
        (["alpha", "--input", "{tmp}/rows.json"], "--input: {tmp}/rows.json: unknown extension '.json'; use .parquet, .pq or .csv"),
        (["alpha", "--input", "{tmp}/no_user.csv"],
         "--input: {tmp}/no_user.csv: missing column(s) user_id: rows with 'event_time' are joined to alpha's feature views on user_id"),
        (["alpha", "--input", "{tmp}/text_time.csv"],
         "--input: {tmp}/text_time.csv: column 'event_time': 'last tuesday' is not a timestamp; write times such as 2024-03-01 12:00:00"),
        (["alpha", "--input", "{tmp}/no_time.csv"],
         "--input: {tmp}/no_time.csv: missing column(s) p1, p2 that alpha scores; give the spine timestamp 'event_time' and user_id "
         "to join the feature views point-in-time"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(scored_project, tmp_path, capsys, argv, message):
    pd.DataFrame({"event_time": pd.to_datetime(["2024-02-01"]), "x": [0.5]}).to_csv(tmp_path / "no_user.csv", index=False)
    pd.DataFrame({"user_id": ["u1"], "x": [0.5]}).to_csv(tmp_path / "no_time.csv", index=False)
    pd.DataFrame({"user_id": ["u1"], "event_time": ["last tuesday"], "x": [0.5]}).to_csv(tmp_path / "text_time.csv", index=False)
    (tmp_path / "rows.json").write_text("{}")
    out = tmp_path / "scores.parquet"
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["predict", *argv, "--output", str(out)]) == 1
    assert capsys.readouterr().err == message.format(tmp=tmp_path) + "\n"
    assert not out.exists()


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("scores.txt", "--output: scores.txt: unknown extension '.txt'; use .parquet, .pq or .csv or duckdb:<table>"),
        ("duckdb:fv_user_view", "--output: duckdb:fv_user_view: names starting with fv_, ts_, pred_, mmp_, __mmp belong to mmp's own tables; pick another"),
        ("duckdb:a-b", "--output: duckdb:a-b: 'a-b' is not a table name; use letters, digits and _ (duckdb:scores)"),
    ],
)
def test_a_bad_output_is_refused_before_scoring(scored_project, capsys, target, message):
    assert main(["predict", "alpha", "--source", "events", "--output", target]) == 1
    assert capsys.readouterr().err == message + "\n"


def test_a_failed_write_keeps_the_previous_output(scored_project, tmp_path):
    out = tmp_path / "scores.csv"
    assert main(["predict", "alpha", "--source", "events", "--output", str(out)]) == 0
    before = out.read_bytes()
    pd.DataFrame({"user_id": ["u1"]}).to_csv(tmp_path / "bad.csv", index=False)
    assert main(["predict", "alpha", "--input", str(tmp_path / "bad.csv"), "--output", str(out)]) == 1
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert json.loads(pd.read_csv(out)["feature_view_versions"].iloc[0]) == {"user_view": 1}


def test_the_predictions_section_enters_the_code_version_only_when_set():
    """Adding the section left every existing recipe's `<recipe>/predictions` code version (so its staleness) as it was."""
    from pathlib import Path

    from mmp_assets.recipes import load_recipes
    from mmp_assets.recipes.common import digest
    from mmp_assets.recipes.model import Predictions
    from mmp_assets.recipes.versions import model_code_version

    fraud = load_recipes(Path(__file__).resolve().parents[2]).models["fraud"]
    before = digest("predictions", {"monitoring": fraud.model_dump(mode="json", by_alias=True)["monitoring"]})
    assert model_code_version(fraud, "predictions") == before
    assert model_code_version(fraud.model_copy(update={"predictions": Predictions(source="transactions")}), "predictions") != before
