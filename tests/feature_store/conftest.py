"""A tiny project in tmp_path: config, source files and recipes written by each test, a real DuckDB file."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import yaml

from mmp_assets.feature_store import build_feature_store_assets, build_training_set_assets
from mmp_assets.recipes import RecipeSet, load_recipes
from mmp_resources import build_resources, load_config
from mmp_resources.settings import PlatformConfig

REPO = Path(__file__).resolve().parents[2]


class FsProject:
    """Writes sources, views and model recipes; loads them the way the platform does."""

    def __init__(self, root: Path):
        self.root = root

    def source(self, name: str, frame: pd.DataFrame | None = None, *, sql: str | None = None, fmt: str = "parquet", **fields) -> None:
        recipe = {"name": name, "description": f"{name} rows", "owner": "team:test", **fields}
        if sql is not None:
            recipe["sql"] = sql
        else:
            path = self.root / "data" / f"{name}.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(path, index=False) if fmt == "parquet" else frame.to_csv(path, index=False)
            recipe["path"] = f"data/{name}.{fmt}"
        self._write(f"sources/{name}.yaml", recipe)

    def view(self, name: str, **fields) -> None:
        self._write(f"features/{name}.yaml", {"name": name, "description": f"{name} features", "owner": "team:test", **fields})

    def sql_file(self, name: str, text: str) -> None:
        (self.root / "recipes" / "features" / name).write_text(text, encoding="utf-8")

    def model(self, name: str, **fields) -> None:
        recipe = {
            "name": name, "description": f"{name} model", "owner": "team:test", "task": "classification",
            "model": {"class_path": "sklearn.linear_model.LogisticRegression"}, "tuning": {"metric": "roc_auc", "n_trials": 1},
            **fields,
        }
        self._write(f"{name}.yaml", recipe)

    def _write(self, relative: str, recipe: dict) -> None:
        path = self.root / "recipes" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(recipe, sort_keys=False), encoding="utf-8")

    def recipes(self) -> RecipeSet:
        found = load_recipes(self.root)
        found.raise_if_problems()
        return found

    def config(self) -> PlatformConfig:
        return load_config(self.root)

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        path = Path(self.config().duckdb_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(path), read_only=read_only)

    def assets(self) -> list:
        recipes, config = self.recipes(), self.config()
        found = build_feature_store_assets(recipes, config, self.root)
        for recipe in recipes.models.values():
            found += build_training_set_assets(recipe, recipes, config, self.root)
        return found

    def materialize(self, instance: dg.DagsterInstance, selection: str | None = None, run_config: dict | None = None):
        return dg.materialize(
            self.assets(), instance=instance, resources=build_resources(self.config(), self.root),
            selection=selection, raise_on_error=False, run_config=run_config,
        )


@pytest.fixture
def fs_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FsProject:
    root = tmp_path / "project"
    (root / "config").mkdir(parents=True)
    shutil.copy(REPO / "config" / "base.yaml", root / "config" / "base.yaml")
    (root / "recipes" / "sources").mkdir(parents=True)
    (root / "recipes" / "features").mkdir()
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    return FsProject(root)


@pytest.fixture(scope="module")
def instance():
    """One Dagster instance per test module: each test's project has its own DuckDB file anyway."""
    with dg.instance_for_test() as found:
        yield found


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)
