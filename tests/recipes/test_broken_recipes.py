"""Every kind of broken recipe gives one clear line naming file, field, bad value and what is allowed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mmp_assets.cli.validate import collect_problems
from mmp_assets.recipes import load_recipes
from mmp_resources.loader import read_yaml


def _edit(root: Path, rel: str, change) -> None:
    path = root / rel
    data = read_yaml(path)  # YAML 1.2 booleans, like mmp itself: `on:` stays a key
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _set(*keys_and_value):
    *keys, value = keys_and_value

    def change(data):
        node = data
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return change


def _delete(*keys):
    def change(data):
        node = data
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return change


def _replace_origin(origin: dict):
    """Swap a source's file `path` for another origin (sql, a database connection)."""

    def change(data):
        del data["path"]
        data.update(origin)

    return change


CASES = {
    "missing field": ("recipes/fraud.yaml", _delete("task"), "recipes/fraud.yaml: task: is required but missing"),
    "unknown field": (
        "recipes/fraud.yaml",
        _set("tuning", "n_trails", 5),
        "recipes/fraud.yaml: tuning.n_trails: unknown field (value 5); remove it or check its spelling",
    ),
    "wrong type": (
        "recipes/fraud.yaml",
        _set("tuning", "n_trials", "many"),
        "recipes/fraud.yaml: tuning.n_trials: Input should be a valid integer, unable to parse string as an integer (got 'many')",
    ),
    "low greater than high": (
        "recipes/fraud.yaml",
        _set("model", "search_space", "depth", {"type": "int", "low": 12, "high": 3}),
        "recipes/fraud.yaml: model.search_space.depth: low (12) is greater than high (3)",
    ),
    "unknown class path": (
        "recipes/fraud.yaml",
        _set("model", "class_path", "catboost.CatBoostClassifer"),
        "recipes/fraud.yaml: model.class_path: cannot import 'catboost.CatBoostClassifer'",
    ),
    "unknown estimator parameter": (
        "recipes/fraud.yaml",
        _set("model", "params", "max_dept", 4),
        "recipes/fraud.yaml: model.params.max_dept: catboost.CatBoostClassifier has no parameter 'max_dept'",
    ),
    "unknown metric": (
        "recipes/fraud.yaml",
        _set("tuning", "metric", "auc"),
        "recipes/fraud.yaml: tuning.metric: unknown classification metric 'auc'; allowed: roc_auc, pr_auc",
    ),
    "regression metric on a classifier": (
        "recipes/fraud.yaml",
        _set("evaluation", "metrics", ["roc_auc", "rmse"]),
        "recipes/fraud.yaml: evaluation.metrics[1]: unknown classification metric 'rmse'",
    ),
    "unknown feature view": (
        "recipes/fraud.yaml",
        _set("features", [{"view": "user_profiles"}]),
        "recipes/fraud.yaml: features[0].view: unknown feature view 'user_profiles'; known: merchant_profile, user_profile",
    ),
    "unknown predictions source": (
        "recipes/fraud.yaml",
        _set("predictions", {"source": "scoring_transaction"}),
        "recipes/fraud.yaml: predictions.source: unknown source 'scoring_transaction'; known: merchant_snapshots, scoring_transactions,",
    ),
    "unknown source": (
        "recipes/fraud.yaml",
        _set("spine", "source", "transaction"),
        "recipes/fraud.yaml: spine.source: unknown source 'transaction'; known: merchant_snapshots, scoring_transactions, transactions, user_snapshots",
    ),
    "label missing from the spine": (
        "recipes/fraud.yaml",
        _set("spine", "label", "fraud"),
        "recipes/fraud.yaml: spine.label: column 'fraud' is not in source 'transactions'; its columns: transaction_id, user_id",
    ),
    "fractions summing over 1": (
        "recipes/fraud.yaml",
        _set("split", {"strategy": "random", "validation": 0.6, "test": 0.5}),
        "recipes/fraud.yaml: split: validation (0.6) + test (0.5) = 1.1 leaves no training rows; the two fractions must sum to less than 1",
    ),
    "bad ttl": (
        "recipes/features/user_profile.yaml",
        _set("ttl", "30 days"),
        "recipes/features/user_profile.yaml: ttl: '30 days' is not a duration; write a positive whole number and a unit s, m, h, d or w, such as 30d",
    ),
    "bad gate": (
        "recipes/fraud.yaml",
        _set("evaluation", "gate", {"roc_auc": "at least 0.7"}),
        "recipes/fraud.yaml: evaluation.gate: gate roc_auc: 'at least 0.7' is not a threshold",
    ),
    "bad owner": (
        "recipes/sources/transactions.yaml",
        _set("owner", "payments data"),
        "recipes/sources/transactions.yaml: owner: String should match pattern",
    ),
    "unknown split strategy": (
        "recipes/fraud.yaml",
        _set("split", "strategy", "chronological"),
        "recipes/fraud.yaml: split.strategy: Input should be 'random', 'stratified', 'temporal' or 'group' (got 'chronological')",
    ),
    "source with both path and sql": (
        "recipes/sources/user_snapshots.yaml",
        _set("sql", "SELECT 1"),
        "recipes/sources/user_snapshots.yaml: give exactly one of `path`, `sql` or `connection`",
    ),
    "password in a recipe": (
        "recipes/sources/transactions.yaml",
        _set("connection", {"url": "postgresql://app:hunter2x@db.internal:5432/prod"}),
        "recipes/sources/transactions.yaml: connection.url: holds a URL with a password (postgresql://app:***@...); recipes never "
        "hold secrets: put the URL in an environment variable and name it with connection.url_env",
    ),
    "connection without table or query": (
        "recipes/sources/user_snapshots.yaml",
        _replace_origin({"connection": {"url_env": "MMP_WAREHOUSE_URL"}}),
        "recipes/sources/user_snapshots.yaml: a `connection` source needs exactly one of `table` or `query`",
    ),
    "table without connection": (
        "recipes/sources/user_snapshots.yaml",
        _set("table", "sales.orders"),
        "recipes/sources/user_snapshots.yaml: `table` and `query` read a database: add `connection: {url_env: <VARIABLE>}`",
    ),
    "bad url_env": (
        "recipes/sources/user_snapshots.yaml",
        _replace_origin({"connection": {"url_env": "warehouse-url"}, "table": "sales.orders"}),
        "recipes/sources/user_snapshots.yaml: connection.url_env: String should match pattern '^[A-Za-z_][A-Za-z0-9_]*$' (got 'warehouse-url')",
    ),
    "bad table name": (
        "recipes/sources/user_snapshots.yaml",
        _replace_origin({"connection": {"url_env": "MMP_WAREHOUSE_URL"}, "table": "sales.orders; DROP TABLE x"}),
        "recipes/sources/user_snapshots.yaml: table: String should match pattern",
    ),
    "template variable without a default": (
        "recipes/sources/user_snapshots.yaml",
        _replace_origin({"sql": "SELECT * FROM transactions WHERE amount > {{ floor }}"}),
        "recipes/sources/user_snapshots.yaml: sql: template variable 'floor' has no value; give it a default in params "
        "(a run may override it: mmp materialize --param floor=...)",
    ),
    "template that does not parse": (
        "recipes/sources/user_snapshots.yaml",
        _replace_origin({"connection": {"url_env": "MMP_WAREHOUSE_URL"}, "query": "SELECT * FROM t WHERE a > {{ floor"}),
        "recipes/sources/user_snapshots.yaml: query: template does not parse: line 1: unexpected end of template",
    ),
    "params without a template": (
        "recipes/sources/user_snapshots.yaml",
        _set("params", {"floor": 1}),
        "recipes/sources/user_snapshots.yaml: `params` fill the variables of a `sql` or `query` template; this source has none",
    ),
    "partitioned spine whose source ignores the window": (
        "recipes/fraud.yaml",
        _set("spine", "partitions", {"schedule": "daily", "start": "2024-01-01"}),
        "recipes/fraud.yaml: spine.partitions: source 'transactions' does not use {{ start }} and {{ end }}; each partition binds "
        "its window's start and end to the spine source's sql or query, such as WHERE event_time >= {{ start }} AND event_time < {{ end }}",
    ),
    "unknown partition schedule": (
        "recipes/fraud.yaml",
        _set("spine", "partitions", {"schedule": "hourly", "start": "2024-01-01"}),
        "recipes/fraud.yaml: spine.partitions.schedule: Input should be 'daily', 'weekly' or 'monthly' (got 'hourly')",
    ),
    "partitions ending before they start": (
        "recipes/fraud.yaml",
        _set("spine", "partitions", {"schedule": "daily", "start": "2024-03-01", "end": "2024-01-01"}),
        "recipes/fraud.yaml: spine.partitions: end (2024-01-01) must be after start (2024-03-01)",
    ),
    "unknown time zone": (
        "recipes/fraud.yaml",
        _set("spine", "partitions", {"schedule": "daily", "start": "2024-01-01", "timezone": "Mars/Olympus"}),
        "recipes/fraud.yaml: spine.partitions.timezone: 'Mars/Olympus' is not an IANA time zone; write one such as UTC or Europe/Paris",
    ),
    "view joined twice": (
        "recipes/fraud.yaml",
        _set("features", [{"view": "user_profile"}, {"view": "user_profile", "columns": ["txn_count_30d"]}]),
        "recipes/fraud.yaml: features[1].view: view 'user_profile' is listed twice; join each view once",
    ),
    "sql file outside the project": (
        "recipes/features/user_profile.yaml",
        _set("source", {"sql_file": "../../../../../../etc/passwd"}),
        "recipes/features/user_profile.yaml: source.sql_file: '../../../../../../etc/passwd' lies outside the project; "
        "keep SQL templates under recipes/",
    ),
    "bad categorical encoding (issue 13: the path keeps `categorical`)": (
        "recipes/fraud.yaml",
        _set("preprocessing", "categorical", "encode", "hash"),
        "recipes/fraud.yaml: preprocessing.categorical.encode: Input should be 'onehot', 'ordinal' or 'native' (got 'hash')",
    ),
    "unknown preprocessing step": (
        "recipes/fraud.yaml",
        _set("preprocessing", "columns", [{"columns": "amount", "steps": [{"op": "normalise"}]}]),
        "recipes/fraud.yaml: preprocessing.columns[0].steps[0]: Input tag 'normalise' found using 'op' does not match any of the "
        "expected tags: 'impute', 'scale', 'encode', 'bins', 'polynomial', 'log', 'clip'",
    ),
    "unknown option of a step": (
        "recipes/fraud.yaml",
        _set("preprocessing", "columns", [{"columns": "amount", "steps": [{"op": "scale", "method": "zscore"}]}]),
        "recipes/fraud.yaml: preprocessing.columns[0].steps[0].method: Input should be 'standard', 'minmax' or 'robust' (got 'zscore')",
    ),
    "bins before impute": (
        "recipes/fraud.yaml",
        _set("preprocessing", "columns", [{"columns": "amount", "steps": [{"op": "bins", "n_bins": 4}]}]),
        "recipes/fraud.yaml: preprocessing.columns[0]: steps[0] bins does not accept missing values; put an impute step before it",
    ),
    "clip bounds crossed": (
        "recipes/fraud.yaml",
        _set("preprocessing", "columns", [{"columns": "amount", "steps": [{"op": "clip", "lower_quantile": 0.9, "upper_quantile": 0.1}]}]),
        "recipes/fraud.yaml: preprocessing.columns[0].steps[0]: the lower bound (0.9) must be below the upper bound (0.1)",
    ),
    "step entry selecting nothing": (
        "recipes/fraud.yaml",
        _set("preprocessing", "columns", [{"steps": [{"op": "log"}]}]),
        "recipes/fraud.yaml: preprocessing.columns[0]: select columns with `columns` (names or globs), `dtype` (numeric or categorical), or both",
    ),
    "numeric step on categorical dtype": (
        "recipes/fraud.yaml",
        _set("preprocessing", "columns", [{"dtype": "categorical", "steps": [{"op": "impute", "strategy": "constant"}, {"op": "log"}]}]),
        "recipes/fraud.yaml: preprocessing.columns[0]: steps[1] log applies to numbers; categorical columns need an encode step before it",
    ),
    "native encoding not last": (
        "recipes/fraud.yaml",
        _set("preprocessing", "columns", [{"dtype": "categorical", "steps": [{"op": "encode", "method": "native"}, {"op": "scale"}]}]),
        "recipes/fraud.yaml: preprocessing.columns[0]: encode: native hands the categories to the model itself, so it must be the last step",
    ),
    "spine columns neither list nor all": (
        "recipes/fraud.yaml",
        _set("spine", "columns", "every"),
        "recipes/fraud.yaml: spine.columns: write a list of column names, or `all` for every column but the label, keys and exclude (got 'every')",
    ),
    "param both fixed and tuned": (
        "recipes/fraud.yaml",
        _set("model", "params", "depth", 4),
        "recipes/fraud.yaml: model: depth is both fixed in params and tuned in search_space; keep it in one of them",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_recipe_gives_one_clear_line(project: Path, case: str) -> None:
    rel, change, expected = CASES[case]
    _edit(project, rel, change)
    problems = [str(p) for p in collect_problems()[0]]  # what `mmp validate` prints, estimator checks included
    assert problems[0].startswith(expected), f"\n got: {problems[0]}\nwant: {expected}"
    assert not [line for line in problems if "hunter2x" in line]  # a secret is never echoed
    # recipes that use a broken one say so, pointing at the file to fix, instead of a second error
    dependents = problems[1:]
    assert all(f"; fix {rel} first" in line for line in dependents), dependents


def test_malformed_yaml_names_line_and_column(project: Path) -> None:
    (project / "recipes/spend.yaml").write_text("name: spend\ntask: [regression\n")
    problems = [str(p) for p in load_recipes(project).problems]
    assert len(problems) == 1
    assert problems[0].startswith("recipes/spend.yaml: malformed YAML at line 3, column 1")


def test_duplicate_key_is_an_error(project: Path) -> None:
    path = project / "recipes/spend.yaml"
    path.write_text(path.read_text() + "task: classification\n")
    problems = [str(p) for p in load_recipes(project).problems]
    assert problems == [p for p in problems if "duplicate key 'task'" in p] and len(problems) == 1


def test_one_broken_recipe_does_not_hide_the_others(project: Path) -> None:
    _edit(project, "recipes/spend.yaml", _set("tuning", "metric", "accuracy"))
    recipes = load_recipes(project)
    assert "fraud" in recipes.models and "spend" not in recipes.models
    assert [p.file for p in recipes.problems] == ["recipes/spend.yaml"]


def test_mmp_validate_prints_lines_and_exits_1_without_traceback(project: Path) -> None:
    _edit(project, "recipes/fraud.yaml", _set("tuning", "metric", "auc"))
    _edit(project, "recipes/features/user_profile.yaml", _set("ttl", "soon"))
    done = subprocess.run([sys.executable, "-m", "mmp_assets.cli", "validate"], capture_output=True, text=True, cwd=project)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1] == "4 problem(s) found", done.stderr  # fraud.yaml twice, user_profile.yaml, spend.yaml
    assert any(line.startswith("recipes/fraud.yaml: tuning.metric: unknown classification metric 'auc'") for line in lines)
    assert any(line.startswith("recipes/features/user_profile.yaml: ttl: 'soon' is not a duration") for line in lines)
    # the view is invalid, so fraud (which uses it) reports the unknown view too: every problem is listed
    assert any(
        "features[0].view: depends on invalid feature view 'user_profile'; fix recipes/features/user_profile.yaml first" in line
        for line in lines
    )


def test_mmp_validate_passes_on_the_demo(project: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mmp_assets.cli", "validate"], capture_output=True, text=True, cwd=project)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok: 4 sources, 2 feature views, 2 model recipes")


def test_two_files_defining_one_name_are_one_line(project: Path) -> None:
    """`fraud.yaml` and `fraud.yml`: the second would silently replace the first."""
    (project / "recipes/fraud.yml").write_text((project / "recipes/fraud.yaml").read_text())
    problems = [str(p) for p in collect_problems()[0]]
    assert problems == ["recipes/fraud.yml: name: 'fraud' is already defined by recipes/fraud.yaml; keep one file per name"]


def test_a_label_listed_as_a_feature_is_one_line(project: Path) -> None:
    _edit(project, "recipes/fraud.yaml", _set("spine", "columns", ["amount", "is_fraud"]))
    problems = [str(p) for p in collect_problems()[0]]
    assert problems == ["recipes/fraud.yaml: spine.columns[1]: 'is_fraud' is the label; as a feature it would hand the model "
                        "the answer; remove it from spine.columns"]


def test_a_view_column_named_like_the_label_is_one_line(project: Path) -> None:
    _edit(project, "recipes/features/user_profile.yaml", _set("schema", "is_fraud", "INTEGER"))
    problems = [str(p) for p in collect_problems()[0]]
    assert problems == ["recipes/fraud.yaml: features[0].view: view 'user_profile' has a column 'is_fraud', the label's name; "
                        "a feature named like the label is ambiguous (and often the label itself); list the view's other "
                        "columns with columns, or rename it in the view"]
