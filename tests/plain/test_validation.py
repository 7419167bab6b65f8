"""What a plain table cannot do is refused by `mmp validate` with one line naming file, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mmp_assets.cli.validate import collect_problems

SCHEMA = {"a": "DOUBLE", "b": "VARCHAR", "target": "INTEGER"}


def _edit(root: Path, rel: str, change) -> None:
    path = root / "recipes" / rel
    data = yaml.safe_load(path.read_text()) if path.exists() else {}
    change(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _timed_view(data):
    data.update({"name": "cells", "description": "cells", "owner": "team:t", "entity": "id", "timestamp": "t", "source": "wine"})


def _static_view_with_ttl(data):
    data.update({"name": "cells", "description": "cells", "owner": "team:t", "entity": "id", "ttl": "30d", "source": "wine"})


CASES = {
    "temporal split": ("breast_cancer.yaml", lambda d: d["split"].update(strategy="temporal"),
                       "recipes/breast_cancer.yaml: split.strategy: 'temporal' needs spine.timestamp, and this spine has none "
                       "(a plain table); use random, stratified or group"),
    "backtest": ("breast_cancer.yaml", lambda d: d["evaluation"].update(backtest={"windows": 3}),
                 "recipes/breast_cancer.yaml: evaluation.backtest: a backtest replays time windows, and this spine has no "
                 "timestamp; remove backtest or give the spine a timestamp"),
    "no feature column": ("breast_cancer.yaml", lambda d: d["spine"].update(columns=[]),
                          "recipes/breast_cancer.yaml: spine.columns: no feature column: list spine columns (or write columns: all) "
                          "or join a feature view"),
    "no feature column by default": ("breast_cancer.yaml", lambda d: d["spine"].pop("columns"),
                                     "recipes/breast_cancer.yaml: spine.columns: no feature column"),
    "exclude with a list": ("wine.yaml", lambda d: d["spine"].update(columns=["alcohol"]),
                            "recipes/wine.yaml: spine: exclude only applies to columns: all; with a column list, leave the column "
                            "out of the list (got"),
    "exclude naming no declared column": ("sources/wine.yaml", lambda d: d.update(schema=SCHEMA),
                                          "recipes/wine.yaml: spine.exclude: 'proline' not in source 'wine'; its columns: a, b, target"),
    "all leaving nothing": ("sources/wine.yaml", lambda d: d.update(schema={"proline": "DOUBLE", "target": "INTEGER"}),
                            "recipes/wine.yaml: spine.columns: no feature column: `all` leaves nothing once the entity, timestamp, "
                            "label, join keys, split group and exclude are taken out; exclude fewer columns or join a feature view"),
    "all taking a date": ("sources/wine.yaml", lambda d: d.update(schema={"a": "DOUBLE", "bottled": "DATE", "proline": "DOUBLE", "target": "INTEGER"}),
                          "recipes/wine.yaml: spine.columns: `all` takes 'bottled' (DATE), which no preprocessing step reads; add it to "
                          "exclude, or turn it into numbers or text in a source `sql`"),
    "group split without group": ("wine.yaml", lambda d: d["split"].update(strategy="group"),
                                  "recipes/wine.yaml: split.group: a group split needs a group column, and this spine has no entity "
                                  "to default to; name the column with split.group"),
    "static view with ttl": ("features/cells.yaml", _static_view_with_ttl,
                             "recipes/features/cells.yaml: ttl: a static view (no timestamp) has no age to bound; give the view a "
                             "timestamp or remove ttl (got '30d')"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_plain_table_misuse_gives_one_clear_line(plain_project: Path, case: str) -> None:
    rel, change, expected = CASES[case]
    _edit(plain_project, rel, change)
    problems = [str(p) for p in collect_problems()[0]]
    assert problems and problems[0].startswith(expected), f"\n got: {problems}\nwant: {expected}"


def test_timestamped_view_on_a_plain_spine_and_a_join_without_keys(plain_project: Path) -> None:
    _edit(plain_project, "features/cells.yaml", _timed_view)
    _edit(plain_project, "wine.yaml", lambda d: d.update(features=[{"view": "cells"}]))
    problems = [str(p) for p in collect_problems()[0]]
    assert problems == [
        "recipes/wine.yaml: features[0].view: view 'cells' is timestamped (t) but the spine has no timestamp, so there is no point "
        "in time to join it at; give the spine a timestamp, or join a static view (one without timestamp)",
        "recipes/wine.yaml: features[0].on: the spine has no entity to join view 'cells' on; name the spine column(s) matching "
        "its key id with on, or set spine.entity",
    ]


def test_a_new_column_reaches_a_columns_all_recipe_but_an_excluded_one_does_not(plain_project: Path) -> None:
    from mmp_assets.automation.schema_impact import SchemaChange, relevant_columns
    from mmp_assets.recipes import load_recipes

    recipes = load_recipes(plain_project)
    wine = recipes.models["wine"]
    assert relevant_columns(wine, SchemaChange("wine", added={"vintage": "INTEGER"}), recipes) == {"vintage"}
    assert relevant_columns(wine, SchemaChange("wine", removed={"proline": "DOUBLE"}), recipes) == set()
