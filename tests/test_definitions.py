"""The definitions load exactly as Dagster's CLI loads them, read no data, and show the whole graph."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from mmp_assets.definitions import build_definitions
from mmp_resources.loader import read_yaml

DEMO_KEYS = {
    "sources/transactions",
    "sources/user_snapshots",
    "sources/merchant_snapshots",
    "sources/scoring_transactions",
    "features/user_profile",
    "features/merchant_profile",
    "fraud/training_set",
    "fraud/model",
    "fraud/evaluation",
    "spend/training_set",
    "spend/model",
    "spend/evaluation",
}


def _keys(defs: dg.Definitions) -> set[str]:
    return {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}


def test_dagster_cli_validates_the_definitions(project: Path) -> None:
    (project / ".mmp" / "dagster_home").mkdir(parents=True)
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "mmp_assets"],
        capture_output=True,
        text=True,
        cwd=project,
        env={**os.environ, "DAGSTER_HOME": str(project / ".mmp" / "dagster_home")},
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_demo_asset_has_group_owners_kinds_description_and_code_version(project: Path) -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    assert DEMO_KEYS <= _keys(defs)
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        name = key.to_user_string()
        if name.startswith("invalid_recipes/"):
            continue
        assert node.owners, name
        assert node.kinds, name
        assert node.description and "\n" not in node.description.strip(), name
        assert node.code_version, name
    assert graph.get(dg.AssetKey(["fraud", "model"])).group_name == "fraud"
    assert graph.get(dg.AssetKey(["fraud", "model"])).owners == ["team:fraud-ml"]


def test_loading_reads_no_data_and_contacts_no_server(project: Path) -> None:
    build_definitions()
    data_dir = project / ".mmp"
    assert not (data_dir / "mmp.duckdb").exists()
    assert not (data_dir / "mlflow.db").exists()


HEAVY = ("mlflow", "optuna", "catboost", "sklearn", "shap", "evidently", "xgboost", "lightgbm")


def test_loading_imports_no_heavy_library(project: Path) -> None:
    """Loading reads YAML: the libraries that train, track and explain load when an asset runs."""
    probe = ("import sys; from mmp_assets.definitions import build_definitions; build_definitions(); "
             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [], f"imported while loading the definitions: {done.stdout.strip()}"


@pytest.mark.parametrize(("given", "kept"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_wait_passively_unless_the_user_says_otherwise(project: Path, given: str | None, kept: str) -> None:
    """Set when the code location loads, before any OpenMP runtime (which reads it once, when it loads) is mapped."""
    probe = ("import os; from mmp_assets.definitions import build_definitions; build_definitions(); "
             "maps = open('/proc/self/maps').read(); "
             "print(os.environ['OMP_WAIT_POLICY'], 'libgomp' in maps or 'libomp' in maps)")
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | ({"OMP_WAIT_POLICY": given} if given else {})
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [kept, "False"]


def test_a_broken_estimator_is_reported_when_its_model_runs_before_any_tuning(project: Path) -> None:
    """The definitions no longer import the estimator; the model asset checks it first and fails with one line."""
    path = project / "recipes" / "fraud.yaml"
    path.write_text(path.read_text().replace("verbose: 0", "verbsoe: 0"))
    defs = build_definitions()
    assert "fraud/model" in _keys(defs)
    with dg.instance_for_test() as instance:
        result = dg.materialize(list(defs.assets), resources=defs.resources, instance=instance,
                                selection="fraud/model", raise_on_error=False)
    failure = result.get_step_failure_events()[0].event_specific_data.error
    assert failure.message.strip().splitlines()[0].endswith(
        "recipes/fraud.yaml: model.params.verbsoe: catboost.CatBoostClassifier has no parameter 'verbsoe'; "
        "see its documentation for the allowed ones"), failure.message
    assert not (project / ".mmp" / "mmp.duckdb").exists()  # failed before the training set was read


def _code_versions(defs: dg.Definitions) -> dict[str, str]:
    graph = defs.resolve_asset_graph()
    return {k.to_user_string(): graph.get(k).code_version for k in graph.get_all_asset_keys()}


@pytest.mark.parametrize(
    ("section", "value", "stale"),
    [
        ("tuning", {"n_trials": 9, "metric": "roc_auc", "seed": 7}, {"fraud/model"}),
        ("split", {"strategy": "random", "validation": 0.2, "test": 0.2, "seed": 1}, {"fraud/training_set"}),
        ("evaluation", {"metrics": ["roc_auc"], "gate": {"roc_auc": ">= 0.7"}}, {"fraud/evaluation"}),
    ],
)
def test_editing_a_section_changes_exactly_the_assets_that_read_it(project: Path, section: str, value, stale: set[str]) -> None:
    before = _code_versions(build_definitions())
    path = project / "recipes" / "fraud.yaml"
    import yaml

    data = read_yaml(path)
    data[section] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    after = _code_versions(build_definitions())
    changed = {key for key in before if before[key] != after.get(key)}
    assert changed == stale


def test_a_broken_recipe_is_shown_not_fatal(project: Path) -> None:
    path = project / "recipes" / "spend.yaml"
    path.write_text(path.read_text().replace("metric: rmse", "metric: accuracy"))
    defs = build_definitions()
    keys = _keys(defs)
    assert "fraud/model" in keys and "spend/model" not in keys
    placeholder = defs.resolve_asset_graph().get(dg.AssetKey(["invalid_recipes", "spend"]))
    assert "tuning.metric: unknown regression metric 'accuracy'" in placeholder.description
