"""The demo materializes end to end on the embedded default, and the registered model stands alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from mmp_assets.cli.instance import use_instance_home
from mmp_assets.cli.materialize import materialize_selection
from mmp_assets.demo import write_demo_data
from mmp_resources import load_config

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo project with a `ci` overlay that caps the search (the environment caps, the recipe asks)."""
    (project / "config" / "ci.yaml").write_text("hpo:\n  max_trials: 2\n  max_timeout_s: 120\n")
    monkeypatch.setenv("MMP_ENV", "ci")
    write_demo_data(project)
    return project


def test_demo_materializes_and_the_registered_model_predicts_in_a_fresh_process(
    demo_project: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DAGSTER_HOME", "")  # restored after the test; use_instance_home points it at the demo's instance
    home = use_instance_home(demo_project)
    assert materialize_selection("*") == 0, capsys.readouterr()

    instance = dg.DagsterInstance.from_config(str(home))
    for key in (["features", "user_profile"], ["fraud", "training_set"], ["fraud", "model"], ["fraud", "evaluation"], ["spend", "evaluation"]):
        assert instance.get_latest_materialization_event(dg.AssetKey(key)) is not None, key
    observed = instance.fetch_observations(dg.AssetKey(["sources", "transactions"]), limit=1).records
    assert observed and observed[0].asset_observation.tags.get("dagster/data_version")  # sources observed first
    instance.dispose()

    config = load_config(demo_project)
    from mmp_assets.feature_store import load_training_set
    from mmp_assets.recipes import load_recipes
    from mmp_resources import FeatureStoreResource

    recipe = load_recipes(demo_project).models["fraud"]
    with FeatureStoreResource(project_dir=str(demo_project), env="ci").connect() as conn:
        training_set = load_training_set(conn, recipe)
    raw_rows = training_set.X("test").head(50)  # raw feature rows: strings, NULLs and all
    raw_rows.to_parquet(demo_project / "rows.parquet")

    script = f"""
import json, mlflow, pandas as pd
from mlflow import MlflowClient
mlflow.set_tracking_uri({config.tracking_uri!r}); mlflow.set_registry_uri({config.registry_uri!r})
version = MlflowClient().get_model_version_by_alias("fraud", "candidate").version
model = mlflow.pyfunc.load_model(f"models:/fraud/{{version}}")
scores = model.predict(pd.read_parquet({str(demo_project / "rows.parquet")!r}))
print(json.dumps({{"version": version, "columns": list(scores.columns), "p": scores["probability"].tolist()}}))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["columns"][:2] == ["prediction", "probability"]
    assert len(out["p"]) == 50 and all(0.0 <= p <= 1.0 for p in out["p"])

    # `mmp predict` in a fresh process: the scoring source to Parquet, read back equal to the predictions asset's table
    scores_path = demo_project / "out" / "scores.parquet"
    done = subprocess.run([sys.executable, "-m", "mmp_assets.cli", "predict", "fraud", "--source", "scoring_transactions",
                           "--output", str(scores_path)], capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr[-3000:]
    import duckdb
    import pandas as pd

    from mmp_assets.training.batch_io import read_provenance

    scored = pd.read_parquet(scores_path)
    with duckdb.connect(config.duckdb_path, read_only=True) as conn:
        table = conn.execute("SELECT * FROM pred_fraud").df()
        source = conn.execute(f"SELECT * FROM read_parquet('{demo_project / 'data' / 'demo' / 'scoring_transactions.parquet'}')").df()
    assert len(scored) == len(source) == len(table)
    assert scored["transaction_id"].tolist() == source["transaction_id"].tolist()  # every row, in the source's order
    by_id = table.set_index("transaction_id")["probability"]
    assert scored["probability"].to_numpy() == pytest.approx(by_id.loc[scored["transaction_id"]].to_numpy())
    provenance = read_provenance(scores_path)
    assert provenance["model_version"] == out["version"] and set(provenance["feature_view_versions"]) == {"user_profile", "merchant_profile"}
