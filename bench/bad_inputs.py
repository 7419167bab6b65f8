"""A corpus of bad inputs an outsider would try, run through the CLI as a user would, each classified.

    .venv/bin/python bench/bad_inputs.py [--quick] [--only NAME[,NAME]] [--jobs N] [--timeout S] [--keep DIR]

Each case writes its own throwaway project (config/ and recipes/ copied from this repository, tiny
generated data in data/demo/, `tuning.n_trials: 2`, MMP_PROJECT_DIR and MMP_DATA_DIR pointing at it),
breaks one thing, and runs `mmp validate`; a case whose problem only shows with data then runs
`mmp materialize --select ...` (with a timeout) when validate passed. The last command run decides:

- clear  : exit != 0 and the first line of stderr names the problem (one of the case's words), no traceback
- warned : exit 0 and some output line says "warn" and names the problem
- buried : the problem is named somewhere in the output, but after a traceback or Dagster's log
- silent : exit 0 with no word about it, or a failure whose output never names the problem
- ok     : (only for cases that must simply work, such as a RandomForest recipe) exit 0

A case may also list strings that must never be printed (a secret) or files that must not appear
(`COPY ... TO`); either downgrades it to silent with the reason in the row. The words a case looks for
are chosen from the problem it plants (the file, the column, the bad value), not from mmp's messages.
`--quick` runs only the cases that need no materialization. Prints one row per case and the totals.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import numpy as np
import polars as pl
import yaml

REPO = Path(__file__).resolve().parent.parent
LOG_LINE = re.compile(r"^\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}")  # a Dagster or MLflow log record, not mmp's answer
# Dagster's console prefix: time - dagster - LEVEL - job - run id - [pid -] [step -] [EVENT -]
DAGSTER_PREFIX = re.compile(r"^.*? - dagster - \w+ - \S+ - [0-9a-f-]{36} - (?:\d+ - )?(?:\S+ - )?(?:[A-Z_]+ - )?")
MMP = str(Path(sys.executable).with_name("mmp"))
SECRET = "s3cretPW-bench"


# ---------------------------------------------------------------------------------------------- project


def tiny_data(root: Path, seed: int = 0) -> None:
    """The demo's four files with the demo's schemas, a few hundred rows: 40 users, 12 merchants, 90 days."""
    rng = np.random.default_rng(seed)
    out = root / "data" / "demo"
    out.mkdir(parents=True, exist_ok=True)
    start = datetime(2024, 1, 1)
    users = [f"u{i:03d}" for i in range(40)]
    merchants = [f"m{i:02d}" for i in range(12)]

    def transactions(n: int, first_id: int, offset_days: int) -> pl.DataFrame:
        amount = rng.lognormal(3.5, 0.8, n)
        times = [start + timedelta(days=offset_days, minutes=int(m)) for m in np.sort(rng.integers(0, 60 * 24 * 75, n))]
        fraud = (rng.random(n) < 0.05 + 0.25 * (amount > 80)).astype(np.int32)
        return pl.DataFrame({
            "transaction_id": np.arange(first_id, first_id + n, dtype=np.int64),
            "user_id": rng.choice(users, n), "merchant_id": rng.choice(merchants, n),
            "amount": amount, "category": rng.choice(["grocery", "travel", "online", "fuel"], n),
            "channel": rng.choice(["pos", "web"], n), "hour_of_day": rng.integers(0, 24, n).astype(np.int32),
            "event_time": times, "is_fraud": fraud,
        })

    tx = transactions(400, 1, 14)
    tx.write_parquet(out / "transactions.parquet")
    transactions(80, 10_000, 90).drop("is_fraud").write_parquet(out / "scoring_transactions.parquet")
    weeks = [start + timedelta(days=7 * w) for w in range(26)]
    grid = [(u, t) for u in users for t in weeks]
    n = len(grid)
    pl.DataFrame({
        "user_id": [g[0] for g in grid], "snapshot_time": [g[1] for g in grid],
        "account_age_days": rng.integers(10, 2000, n).astype(np.int32),
        "txn_count_30d": rng.integers(0, 40, n).astype(np.int32),
        "avg_amount_30d": rng.lognormal(3.5, 0.5, n), "std_amount_30d": rng.lognormal(2.5, 0.5, n),
        "max_amount_30d": rng.lognormal(4.5, 0.5, n), "distinct_merchants_30d": rng.integers(0, 12, n).astype(np.int32),
        "night_share_30d": rng.random(n),
    }).write_parquet(out / "user_snapshots.parquet")
    grid = [(m, t) for m in merchants for t in weeks]
    n = len(grid)
    pl.DataFrame({
        "merchant_id": [g[0] for g in grid], "snapshot_time": [g[1] for g in grid],
        "merchant_category": [f"cat{int(g[0][1:]) % 4}" for g in grid],
        "merchant_txn_count_30d": rng.integers(1, 200, n).astype(np.int32),
        "merchant_avg_amount_30d": rng.lognormal(3.5, 0.4, n), "merchant_fraud_rate_90d": rng.random(n) * 0.2,
    }).write_parquet(out / "merchant_snapshots.parquet")


def _on_keys(node):
    """YAML 1.1 reads the key `on:` (a feature's join column) as True; write it back as `on`."""
    if isinstance(node, dict):
        return {("on" if key is True else key): _on_keys(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_on_keys(value) for value in node]
    return node


class Project:
    """A throwaway copy of the repository's config and recipes with tiny data, and helpers to break it."""

    def __init__(self, root: Path):
        self.root = root
        shutil.copytree(REPO / "config", root / "config")
        shutil.copytree(REPO / "recipes", root / "recipes")
        tiny_data(root)
        for recipe in ("fraud", "spend"):  # a small search: the corpus is about inputs, not models
            def small(r):
                r["tuning"]["n_trials"] = 2
                r["tuning"].pop("timeout_s", None)
                if "iterations" in r["model"]["params"]:
                    r["model"]["params"]["iterations"] = 40
                if "max_iter" in r["model"]["params"]:
                    r["model"]["params"]["max_iter"] = 30
                r["evaluation"]["shap_sample"] = 50
                return r
            self.edit(f"recipes/{recipe}.yaml", small)
        self.env = {**os.environ, "MMP_PROJECT_DIR": str(root), "MMP_DATA_DIR": str(root / ".mmp")}
        for name in ("MMP_ENV", "DAGSTER_HOME"):
            self.env.pop(name, None)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def edit(self, rel: str, change: Callable[[dict], dict | None]) -> None:
        data = _on_keys(yaml.safe_load(self.path(rel).read_text()))
        changed = change(data)
        data = changed if isinstance(changed, dict) else data
        self.path(rel).write_text(yaml.safe_dump(data, sort_keys=False))

    def write(self, rel: str, text: str) -> None:
        self.path(rel).parent.mkdir(parents=True, exist_ok=True)
        self.path(rel).write_text(text)

    def frame(self, name: str) -> pl.DataFrame:
        return pl.read_parquet(self.path(f"data/demo/{name}.parquet"))

    def put(self, name: str, frame: pl.DataFrame) -> None:
        frame.write_parquet(self.path(f"data/demo/{name}.parquet"))

    def config(self, change: Callable[[dict], None]) -> None:
        self.edit("config/base.yaml", change)


# ---------------------------------------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    setup: Callable[[Project], None]
    words: list[str]  # any one of these in a line = the line names the problem
    select: str | None = None  # materialize this after a passing validate (a data-level case)
    args: list[str] | None = None  # run this mmp command instead of validate / materialize
    must_work: bool = False  # the input is legitimate: the right answer is exit 0
    never_print: list[str] = field(default_factory=list)
    never_exists: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    memory_gb: float | None = None

    @property
    def quick(self) -> bool:
        return self.select is None


def _recipe(key_path: str, value, rel: str = "recipes/fraud.yaml"):
    def setup(p: Project) -> None:
        def change(data):
            *parents, last = key_path.split(".")
            node = data
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        p.edit(rel, change)
    return setup


def _frame(name: str, change: Callable[[pl.DataFrame], pl.DataFrame]):
    return lambda p: p.put(name, change(p.frame(name)))


def _both(*setups):
    def setup(p: Project) -> None:
        for one in setups:
            one(p)
    return setup


def _schema_type(p: Project) -> None:
    p.edit("recipes/sources/transactions.yaml", lambda s: s["schema"].__setitem__("amount", "DUBBLE"))


def _yaml_and_yml(p: Project) -> None:
    shutil.copy(p.path("recipes/fraud.yaml"), p.path("recipes/fraud.yml"))


def _secret_key(p: Project) -> None:
    p.config(lambda c: c["mlflow"].__setitem__("tracking_urii", "${MMP_BENCH_SECRET_URI}"))


def _unterminated(p: Project) -> None:
    text = p.path("config/base.yaml").read_text().replace("${MMP_DATA_DIR:-.mmp}", "${MMP_DATA_DIR:-.mmp")
    p.path("config/base.yaml").write_text(text)


def _second_statement(p: Project) -> None:
    sql = p.path("recipes/features/merchant_profile.sql")
    sql.write_text(sql.read_text().rstrip() + ";\nDROP TABLE IF EXISTS mmp_catalog\n")


def _copy_to(p: Project) -> None:
    p.write("recipes/features/exfil.yaml", yaml.safe_dump({
        "name": "exfil", "description": "copies a file out", "owner": "team:x", "entity": "user_id",
        "timestamp": "snapshot_time",
        "source": {"sql": f"COPY (SELECT * FROM user_snapshots) TO '{p.root}/copied.csv'"}}))


def _read_passwd(p: Project) -> None:
    p.write("recipes/sources/passwd.yaml", yaml.safe_dump({
        "name": "passwd", "description": "reads the system's users", "owner": "team:x",
        "sql": "SELECT * FROM read_csv('/etc/passwd', delim=':', header=false)"}))


def _sql_file_escape(p: Project) -> None:
    p.edit("recipes/features/merchant_profile.yaml", lambda v: v["source"].__setitem__("sql_file", "../../../../../../etc/passwd"))


def _billion_laughs(p: Project) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    lines.append("name: bomb\ndescription: *i\nowner: team:x\nentity: user_id\ntimestamp: snapshot_time\nsource: user_snapshots")
    p.write("recipes/features/bomb.yaml", "\n".join(lines) + "\n")


def _label_view_column(p: Project) -> None:
    p.write("recipes/features/user_labels.yaml", yaml.safe_dump({
        "name": "user_labels", "description": "a view with a column named like the label", "owner": "team:x",
        "entity": "user_id", "timestamp": "snapshot_time",
        "source": {"sql": "SELECT user_id, snapshot_time, txn_count_30d % 2 AS is_fraud FROM user_snapshots"}}))
    p.edit("recipes/fraud.yaml", lambda r: r["features"].append({"view": "user_labels"}))


def _multiclass_rare(p: Project) -> None:
    tx = p.frame("transactions")
    tier = np.where(tx["amount"].to_numpy() > 60, "high", "low").astype(object)
    tier[[5, 150, 390]] = "rare"  # three rows: bootstrap resamples of the test split miss it
    p.put("transactions", tx.with_columns(pl.Series("tier", tier.tolist())))
    p.edit("recipes/sources/transactions.yaml", lambda s: s["schema"].__setitem__("tier", "VARCHAR"))
    p.edit("recipes/fraud.yaml", lambda r: (r["spine"].__setitem__("label", "tier"), r["spine"]["columns"].append("is_fraud"),
                                            r["evaluation"].__setitem__("metrics", ["f1_macro", "accuracy"]),
                                            r["evaluation"].__setitem__("gate", {}), r["tuning"].__setitem__("metric", "f1_macro"),
                                            r["evaluation"].__setitem__("beat_baseline", False)))


def _random_forest(p: Project) -> None:
    p.edit("recipes/fraud.yaml", lambda r: r.__setitem__("model", {
        "class_path": "sklearn.ensemble.RandomForestClassifier", "params": {"n_estimators": 20, "random_state": 0},
        "search_space": {"max_depth": {"type": "int", "low": 2, "high": 6}}}) or r["preprocessing"]["categorical"].__setitem__("encode", "onehot")
        or r["evaluation"].update(gate={}, beat_baseline=False))  # the case is about crashes, not the gate's verdict


def _onehot(p: Project) -> None:  # so that the only problem left is the planted one, not CatBoost-only encoding
    p.edit("recipes/fraud.yaml", lambda r: r["preprocessing"]["categorical"].__setitem__("encode", "onehot"))


def _regressor(p: Project) -> None:
    p.edit("recipes/fraud.yaml", lambda r: r.__setitem__("model", {
        "class_path": "sklearn.ensemble.HistGradientBoostingRegressor", "params": {"max_iter": 20},
        "search_space": {"learning_rate": {"type": "float", "low": 0.05, "high": 0.3}}}))


def _glob_mixed(p: Project) -> None:
    snaps = p.frame("user_snapshots")
    parts = p.path("data/parts")
    parts.mkdir(parents=True)
    half = len(snaps) // 2
    snaps[:half].write_csv(parts / "a.csv")
    snaps[half:].with_columns(pl.lit("n/a").alias("avg_amount_30d")).write_csv(parts / "b.csv")
    p.edit("recipes/sources/user_snapshots.yaml", lambda s: s.__setitem__("path", "data/parts/*.csv"))


def _header_only(p: Project) -> None:
    p.write("data/header_only.csv", ",".join(p.frame("user_snapshots").columns) + "\n")
    p.edit("recipes/sources/user_snapshots.yaml", lambda s: s.__setitem__("path", "data/header_only.csv"))


def _corrupt(p: Project) -> None:
    p.path("data/demo/user_snapshots.parquet").write_bytes(b"PAR1" + os.urandom(2000))


def _empty_glob(p: Project) -> None:
    p.edit("recipes/sources/user_snapshots.yaml", lambda s: s.__setitem__("path", "data/demo/user_snapshots_*.parquet"))


def _view_dup_snapshots(p: Project) -> None:
    snaps = p.frame("user_snapshots")
    p.put("user_snapshots", pl.concat([snaps, snaps.with_columns(pl.col("avg_amount_30d") * 10)]))


def _int_entity(p: Project) -> None:
    tx = p.frame("transactions")
    p.put("transactions", tx.with_columns(pl.col("user_id").str.slice(1).cast(pl.Int64)))
    p.edit("recipes/sources/transactions.yaml", lambda s: s["schema"].__setitem__("user_id", "BIGINT"))


def _leak(p: Project) -> None:
    tx = p.frame("transactions")
    p.put("transactions", tx.with_columns((pl.col("is_fraud") * 3.0 + 1).alias("chargeback_amount")))
    p.edit("recipes/sources/transactions.yaml", lambda s: s["schema"].__setitem__("chargeback_amount", "DOUBLE"))
    p.edit("recipes/fraud.yaml", lambda r: r["spine"]["columns"].append("chargeback_amount"))


def _noise_regression(p: Project) -> None:
    tx = p.frame("transactions")
    rng = np.random.default_rng(1)
    p.put("transactions", tx.with_columns(pl.Series("amount", rng.normal(50, 20, len(tx)))))
    p.edit("recipes/spend.yaml", lambda r: r["evaluation"].__setitem__("gate", {}))  # only the default gate is left to catch it


CASES: list[Case] = [
    # ------------------------------------------------------------- config
    Case("config_invalid_cron", lambda p: p.config(lambda c: c["automation"].__setitem__("drift_cron", "61 25 * * *")),
         ["drift_cron", "61 25"]),
    Case("config_optuna_unknown_scheme", lambda p: p.config(lambda c: c["optuna"].__setitem__("storage", "mongodb://h/db")),
         ["optuna.storage", "mongodb"]),
    Case("config_webhook_not_url", lambda p: p.config(lambda c: c["alerts"].__setitem__("webhook_url", "hooks.example.com/alert")),
         ["webhook_url"]),
    Case("config_postgres_storage_no_url", lambda p: p.config(lambda c: c["dagster"]["storage"].__setitem__("kind", "postgres")),
         ["dagster.storage", "postgres_url"]),
    Case("config_unterminated_dollar", _unterminated, ["data_dir", "${"]),
    Case("config_misspelled_key_with_secret", _secret_key, ["tracking_urii"], never_print=[SECRET],
         env={"MMP_BENCH_SECRET_URI": f"postgresql://mmp:{SECRET}@db.example.com/mlflow"}),
    Case("config_unknown_top_level_key", lambda p: p.config(lambda c: c.__setitem__("optunaa", {"storage": "memory"})), ["optunaa"]),
    Case("config_unset_env_var_no_default", lambda p: p.config(lambda c: c["mlflow"].__setitem__("tracking_uri", "${MMP_BENCH_NOT_SET}")),
         ["MMP_BENCH_NOT_SET", "tracking_uri"]),
    Case("config_unknown_env", lambda p: None, ["staging"], env={"MMP_ENV": "staging"}),
    Case("config_negative_budget", lambda p: p.config(lambda c: c["automation"].__setitem__("daily_retrain_budget", -1)),
         ["daily_retrain_budget"]),
    Case("config_online_redis_no_url", lambda p: p.config(lambda c: c["online_store"].__setitem__("kind", "redis")), ["online_store"]),
    # ------------------------------------------------------------- recipes beyond the format
    Case("schema_invalid_duckdb_type", _schema_type, ["DUBBLE"], select="*fraud/training_set"),
    Case("recipe_yaml_and_yml_same_name", _yaml_and_yml, ["fraud.yml"]),
    Case("label_also_a_feature", lambda p: p.edit("recipes/fraud.yaml", lambda r: r["spine"]["columns"].append("is_fraud")), ["is_fraud"],
         select="*fraud/model"),
    Case("regressor_on_classification", _both(_regressor, _onehot), ["Regressor", "class_path"], select="*fraud/model"),
    Case("param_wrong_value_type", _recipe("model.params.iterations", "many"), ["iterations", "many"], select="*fraud/model"),
    Case("param_unknown_to_estimator", _recipe("model.params.n_trees", 10), ["n_trees"]),
    Case("class_path_not_installed", _both(_recipe("model.class_path", "lightgbmx.LGBMClassifier"), _onehot), ["lightgbmx"]),
    Case("group_column_missing", _both(_recipe("split.strategy", "group"), _recipe("split.group", "household_id")), ["household_id"],
         select="*fraud/training_set"),
    Case("spine_column_missing", lambda p: p.edit("recipes/fraud.yaml", lambda r: r["spine"]["columns"].append("device_id")),
         ["device_id"], select="*fraud/training_set"),
    Case("numeric_spine_timestamp", _recipe("spine.timestamp", "transaction_id"), ["transaction_id"], select="*fraud/training_set"),
    Case("label_view_column_collision", _label_view_column, ["is_fraud"], select="*fraud/training_set"),
    Case("sql_second_statement", _second_statement, ["DROP", "statement"], select="features/merchant_profile"),
    Case("sql_copy_to", _copy_to, ["COPY", "exfil"], select="features/exfil", never_exists=["copied.csv"]),
    Case("sql_read_etc_passwd", _read_passwd, ["/etc/passwd"], select="sources/passwd"),
    Case("sql_file_path_traversal", _sql_file_escape, ["etc/passwd", "sql_file"], select="features/merchant_profile"),
    Case("yaml_billion_laughs", _billion_laughs, ["bomb.yaml", "alias"], memory_gb=3.0),
    Case("view_timestamp_missing", _recipe("timestamp", "snap_time", rel="recipes/features/user_profile.yaml"), ["snap_time"],
         select="features/user_profile"),
    # ------------------------------------------------------------- the command line
    Case("select_features_star", lambda p: None, ["features/*"], args=["materialize", "--select", "features/*"]),
    Case("select_typo", lambda p: None, ["fraud/modle"], args=["materialize", "--select", "fraud/modle"]),
    Case("param_without_equals", lambda p: None, ["since"], args=["materialize", "--select", "features/user_profile", "--param", "since"]),
    Case("partition_on_unpartitioned", lambda p: None, ["partition", "1999-01-01"],
         args=["materialize", "--select", "fraud/training_set", "--partition", "1999-01-01"]),
    Case("features_show_unknown_view", lambda p: None, ["user_profil"], args=["features", "show", "user_profil"]),
    Case("predict_missing_input_file", lambda p: None, ["missing.parquet"],
         args=["predict", "fraud", "--input", "missing.parquet", "--output", "out.parquet"]),
    Case("promote_unknown_version", lambda p: None, ["99"],
         args=["models", "promote", "fraud", "--version", "99", "--approver", "bob", "--reason", "x"]),
    Case("project_dir_without_recipes", lambda p: shutil.rmtree(p.path("recipes")), ["recipes"]),
    # ------------------------------------------------------------- data
    Case("data_path_missing_folder", lambda p: p.edit("recipes/sources/user_snapshots.yaml", lambda s: s.__setitem__("path", "data/nowhere/u.parquet")),
         ["data/nowhere"], select="features/user_profile"),
    Case("glob_matches_nothing", _empty_glob, ["user_snapshots_*"], select="features/user_profile"),
    Case("source_contradicts_schema", _frame("transactions", lambda f: f.with_columns(pl.col("amount").cast(pl.String) + "EUR")),
         ["amount"], select="*fraud/training_set"),
    Case("corrupt_parquet", _corrupt, ["user_snapshots.parquet"], select="features/user_profile"),
    Case("header_only_csv", _header_only, ["header_only.csv"], select="features/user_profile"),
    Case("glob_mixed_types", _glob_mixed, ["avg_amount_30d", "b.csv"], select="features/user_profile"),
    Case("spine_timestamps_all_null", _frame("transactions", lambda f: f.with_columns(pl.lit(None, pl.Datetime("us")).alias("event_time"))),
         ["event_time"], select="*fraud/training_set"),
    Case("spine_timestamps_some_null", _frame("transactions", lambda f: f.with_columns(
        pl.when(pl.col("transaction_id") % 10 == 0).then(None).otherwise(pl.col("event_time")).alias("event_time"))),
         ["event_time"], select="*fraud/training_set"),
    Case("tied_timestamps_temporal_split", _frame("transactions", lambda f: f.with_columns(pl.lit(datetime(2024, 3, 1)).cast(pl.Datetime("us")).alias("event_time"))),
         ["event_time", "tie", "temporal"], select="*fraud/model"),
    Case("inf_nan_features", _frame("user_snapshots", lambda f: f.with_columns(
        pl.when(pl.col("txn_count_30d") % 3 == 0).then(float("inf")).when(pl.col("txn_count_30d") % 3 == 1).then(float("nan"))
        .otherwise(-float("inf")).alias("avg_amount_30d"))), ["avg_amount_30d", "inf", "NaN"], select="*fraud/training_set"),
    Case("duplicate_spine_rows", _frame("transactions", lambda f: pl.concat([f, f])), ["duplicate"], select="*fraud/training_set"),
    Case("view_duplicate_entity_timestamp", _view_dup_snapshots, ["duplicate", "user_id"], select="features/user_profile"),
    Case("label_single_class", _frame("transactions", lambda f: f.with_columns(pl.lit(0, pl.Int32).alias("is_fraud"))),
         ["is_fraud", "class"], select="*fraud/model"),
    Case("label_all_null", _frame("transactions", lambda f: f.with_columns(pl.lit(None, pl.Int32).alias("is_fraud"))),
         ["is_fraud"], select="*fraud/model"),
    Case("new_all_null_column", _frame("user_snapshots", lambda f: f.with_columns(pl.lit(None, pl.String).alias("loyalty_tier"))),
         ["loyalty_tier"], select="*fraud/model"),
    Case("entity_type_mismatch_spine_vs_view", _int_entity, ["user_id"], select="*fraud/training_set"),
    Case("label_leak_feature", _leak, ["chargeback_amount"], select="*fraud/evaluation"),
    Case("regression_noise_label", _noise_regression, ["baseline"], select="*spend/evaluation"),
    Case("spine_contradicting_labels", _frame("transactions", lambda f: pl.concat([f, f.with_columns((1 - pl.col("is_fraud")).cast(pl.Int32).alias("is_fraud"))])),
         ["is_fraud", "label"], select="*fraud/training_set"),
    Case("nan_features", _frame("user_snapshots", lambda f: f.with_columns(
        pl.when(pl.col("txn_count_30d") % 3 == 0).then(float("nan")).otherwise(pl.col("avg_amount_30d")).alias("avg_amount_30d"))),
         ["avg_amount_30d"], select="*fraud/training_set"),
    Case("validate_data_tied_timestamps", _frame("transactions", lambda f: f.with_columns(
        pl.lit(datetime(2024, 3, 1)).cast(pl.Datetime("us")).alias("event_time"))), ["event_time", "tie", "temporal"],
         args=["validate", "--data"]),
    Case("validate_data_header_only_csv", _header_only, ["header_only.csv"], args=["validate", "--data"]),
    Case("tracking_uri_with_credentials", lambda p: p.config(lambda c: c["mlflow"].__setitem__("tracking_uri", "${MMP_BENCH_SECRET_URI}")),
         ["127.0.0.1:9", "tracking"], select="*fraud/model", never_print=[SECRET],
         env={"MMP_BENCH_SECRET_URI": f"http://mmp:{SECRET}@127.0.0.1:9", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
              "MLFLOW_HTTP_REQUEST_TIMEOUT": "5"}),
    Case("random_forest_recipe", _random_forest, [], select="*fraud/evaluation", must_work=True),
    Case("rare_class_multiclass", _multiclass_rare, ["rare"], select="*fraud/evaluation", must_work=True),
]


# ---------------------------------------------------------------------------------------------- running


@dataclass
class Outcome:
    name: str
    verdict: str
    line: str
    seconds: float


def _run(p: Project, case: Case, argv: list[str], timeout: float) -> tuple[int, str, str]:
    env = {**p.env, **case.env}
    limit = None
    if case.memory_gb:
        import resource

        def limit():
            size = int(case.memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
    try:
        done = subprocess.run([MMP, *argv], cwd=p.root, env=env, capture_output=True, text=True, timeout=timeout, preexec_fn=limit)
        return done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return -9, out, err + f"\n(timed out after {timeout:.0f}s)"


def classify(case: Case, code: int, out: str, err: str, root: Path) -> tuple[str, str]:
    lines = [line for line in err.splitlines() if line.strip()]
    first = lines[0].strip() if lines else (out.strip().splitlines() or [""])[0]
    names = lambda line: any(w.lower() in line.lower() for w in case.words)  # noqa: E731
    for secret in case.never_print:
        if secret in out or secret in err:
            return "silent", f"[prints the secret] {first}"
    for rel in case.never_exists:
        if (root / rel).exists():
            return "silent", f"[wrote {rel}] {first}"
    if code == 0:
        last = (out.strip().splitlines() or [""])[-1]
        if case.must_work:
            return "ok", f"[exit 0] {last}"
        warned = [line for line in (out + "\n" + err).splitlines() if "warn" in line.lower() and names(line)]
        return ("warned", DAGSTER_PREFIX.sub("", warned[0].strip())) if warned else ("silent", f"[exit 0] {last}")
    if case.must_work:  # a legitimate input that fails: the message cannot be about a planted problem
        return "silent", f"[exit {code}] {first}"
    if names(first) and not first.startswith("Traceback") and not LOG_LINE.match(first):
        return "clear", first
    every = (err + "\n" + out).splitlines()
    named = next(([line for line in every if w.lower() in line.lower()] for w in case.words  # the case's first word first
                  if any(w.lower() in line.lower() for line in every)), [])
    named = [line for line in named if not LOG_LINE.match(line)] or named  # mmp's own words before Dagster's
    if named:
        return "buried", f"[after {'a log line' if LOG_LINE.match(first) else repr(first[:40])}] {DAGSTER_PREFIX.sub('', named[0].strip())}"
    said = [line for line in err.splitlines() if line.strip() and not LOG_LINE.match(line) and not line.startswith(" ")]
    return "silent", f"[exit {code}] {(said or [first])[-2 if len(said) > 1 else -1].strip()}"


def run_case(case: Case, base: Path, timeout: float, from_logs: bool = False) -> Outcome:
    started = time.perf_counter()
    root = base / case.name
    if from_logs:  # classify what an earlier --keep run saved, without running anything
        text = (base / f"{case.name}.log").read_text()
        head, _, rest = text.partition("\n--- stdout\n")
        out, _, err = rest.partition("\n--- stderr\n")
        verdict, line = classify(case, int(head.split()[1]), out, err, root)
        return Outcome(case.name, verdict, line, 0.0)
    try:
        p = Project(root)
        case.setup(p)
    except Exception as exc:  # the corpus itself is broken: say so, never count it
        return Outcome(case.name, "ERROR", f"setup failed: {exc!r}", time.perf_counter() - started)
    code, out, err = _run(p, case, ["validate"], timeout)
    if case.args is not None and code == 0:
        code, out, err = _run(p, case, case.args, timeout)
    elif case.select is not None and code == 0:
        code, out, err = _run(p, case, ["materialize", "--select", case.select], timeout)
    verdict, line = classify(case, code, out, err, root)
    (base / f"{case.name}.log").write_text(f"exit {code}\n--- stdout\n{out}\n--- stderr\n{err}")
    return Outcome(case.name, verdict, line, time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the cases that need no materialization")
    parser.add_argument("--slow", action="store_true", help="only the cases that --quick leaves out")
    parser.add_argument("--only", default=None, help="comma-separated case names")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per command (default 600)")
    parser.add_argument("--keep", default=None, help="build the projects under this folder and keep them, with each case's output")
    parser.add_argument("--from-logs", default=None, metavar="DIR", help="classify the outputs a --keep run saved in DIR again")
    args = parser.parse_args()
    cases = [c for c in CASES if (not args.quick or c.quick) and (not args.slow or not c.quick)]
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {c.name for c in CASES}
        if unknown:
            print(f"--only: unknown case(s) {sorted(unknown)}", file=sys.stderr)
            return 2
        cases = [c for c in cases if c.name in wanted]
    if args.from_logs:
        args.keep = args.from_logs
        cases = [c for c in cases if (Path(args.from_logs) / f"{c.name}.log").exists()]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="mmp-bad-inputs-"))
    base.mkdir(parents=True, exist_ok=True)
    width = max(len(c.name) for c in cases)
    outcomes = []
    try:
        with ThreadPoolExecutor(args.jobs) as pool:
            for outcome in pool.map(lambda c: run_case(c, base, args.timeout, bool(args.from_logs)), cases):
                outcomes.append(outcome)
                print(f"{outcome.name:<{width}}  {outcome.verdict:<6}  {outcome.seconds:5.0f}s  {outcome.line[:160]}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    counts = Counter(o.verdict for o in outcomes)
    order = ["clear", "warned", "buried", "silent", "ok", "ERROR"]
    print(f"tried {len(outcomes)}: " + ", ".join(f"{k} {counts[k]}" for k in order if counts[k] or k in order[:4]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
