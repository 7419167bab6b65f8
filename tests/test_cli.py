"""Every command group the `mmp` entry point lists is present and registers itself."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from mmp_assets.cli.main import COMMAND_MODULES, build_parser


@pytest.mark.parametrize("name", COMMAND_MODULES)
def test_command_module_registers(name: str) -> None:
    module = importlib.import_module(f"mmp_assets.cli.{name}")
    assert callable(getattr(module, "register", None)), f"mmp_assets/cli/{name}.py has no register(subparsers)"


def test_help_lists_every_command(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for command in ("init", "new", "validate", "demo", "materialize", "features", "tune", "models", "predict", "list", "prompts",
                    "lineage", "plan", "audit", "serve", "users"):
        assert f"    {command}" in out, command


HELP_PROBE = """import sys
from mmp_assets.cli.main import main
try:
    main({argv!r})
except SystemExit:
    pass
loaded = {{m.split(".")[0] for m in sys.modules if not m.startswith("_")}} - set(sys.stdlib_module_names)
loaded |= {{m for m in sys.modules if m.startswith("mmp_") and not m.startswith("mmp_assets.cli")}}
print(" ".join(sorted(loaded - {{"mmp_assets"}})), file=sys.stderr)"""


@pytest.mark.parametrize("argv", [["--help"]] + [[command, "--help"] for command in
                                                ("init", "new", "validate", "demo", "materialize", "features", "tune", "models",
                                                 "predict", "list", "prompts",
                                                 "lineage", "plan", "audit", "services", "online", "serve", "users")])
def test_help_imports_nothing_but_the_command_modules(argv: list[str]) -> None:
    """`mmp --help` and every `mmp <command> --help` build the parser from the light command modules alone:
    no Dagster, pydantic, recipe formats or mmp_resources, so they answer at once."""
    done = subprocess.run([sys.executable, "-c", HELP_PROBE.format(argv=argv)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "usage: mmp" in done.stdout
    assert done.stderr.strip() == "", f"mmp {' '.join(argv)} imported: {done.stderr.strip()}"


@pytest.mark.parametrize(
    ("selection", "line"),
    [
        ("features/*", """--select: 'features/*': no such asset; for every asset under 'features/' write key:"features/*\""""),
        ("fraud/modle", "--select: 'fraud/modle': no such asset; did you mean 'fraud/model' or 'fraud/drift'"),
    ],
)
def test_a_bad_selection_is_one_line_with_a_suggestion(selection: str, line: str, capsys) -> None:
    """Before any run starts: nothing observed, nothing materialized, no Dagster traceback."""
    from mmp_assets.cli.main import main

    assert main(["materialize", "--select", selection]) == 1
    assert capsys.readouterr().err.strip() == line


def test_the_first_mmp_command_writes_the_instance_dagsters_cli_shares(tmp_path, monkeypatch) -> None:
    """`mmp validate` run first still writes DAGSTER_HOME's dagster.yaml: Dagster's CLI, run next with
    DAGSTER_HOME exported as the README says, then uses mmp's run storage, not its default layout."""
    import shutil
    from pathlib import Path

    from mmp_assets.cli.main import main

    repo = Path(__file__).resolve().parents[1]
    for folder in ("config", "recipes"):
        shutil.copytree(repo / folder, tmp_path / folder)
    monkeypatch.setenv("MMP_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("MMP_DATA_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    assert main(["validate"]) == 0
    generated = (tmp_path / "state" / "dagster_home" / "dagster.yaml").read_text()
    assert str(tmp_path / "state") in generated and "default_limit: 1" in generated


LIST_PROBE = """import sys
from mmp_assets.cli.main import main
main({argv!r})
heavy = ("numpy", "pandas", "sklearn", "catboost", "xgboost", "lightgbm", "dagster", "mlflow", "optuna", "duckdb")
print(" ".join(sorted(m for m in heavy if m in sys.modules)), file=sys.stderr)"""


@pytest.mark.parametrize("what", ["models", "metrics", "preprocessors", "tasks"])
def test_list_reads_the_catalogs_without_importing_a_library(what: str) -> None:
    done = subprocess.run([sys.executable, "-c", LIST_PROBE.format(argv=["list", what])], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def _listed(what: str, capsys) -> list[list[str]]:
    from mmp_assets.cli.main import main

    assert main(["list", what]) == 0
    return [line.split() for line in capsys.readouterr().out.splitlines()]


def test_list_models_says_task_and_pruning_of_every_catalog_model(capsys) -> None:
    rows = {row[0]: row[1:] for row in _listed("models", capsys) if row}
    assert rows["xgboost.XGBClassifier"][:5] == ["classification", "xgboost", "per", "boosting", "round"]
    assert rows["lightgbm.LGBMRegressor"][:2] == ["regression", "lightgbm"]
    assert rows["catboost.CatBoostClassifier"][:2] == ["classification", "catboost"]


def test_list_metrics_gives_task_and_direction(capsys) -> None:
    listed = _listed("metrics", capsys)
    rows = {row[0]: row[1:4] for row in listed if row and row[1:2] != ["forecasting"]}  # forecasting reuses mae, rmse, mape
    assert {row[0]: row[1:4] for row in listed if row[1:2] == ["forecasting"]}["mase"] == ["forecasting", "minimize", "predictions"]
    assert rows["roc_auc"] == ["classification", "maximize", "probabilities"]
    assert rows["rmse"] == ["regression", "minimize", "predictions"]
    assert rows["f1"] == ["classification", "maximize", "labels"]


def test_list_preprocessors_gives_every_option_the_recipe_format_accepts(capsys) -> None:
    rows = {row[0]: row[1:] for row in _listed("preprocessors", capsys) if row}
    assert rows["preprocessing.categorical.encode"][:6] == ["onehot", "|", "ordinal", "|", "native", "'onehot'"]
    assert rows["preprocessing.numeric.scale"][:7] == ["standard", "|", "minmax", "|", "robust", "|", "none"]
    # the per-column steps too: each step kind, then its options
    assert rows["preprocessing.columns[].steps[].op"][:13] == " | ".join(["impute", "scale", "encode", "bins", "polynomial", "log", "clip"]).split()
    assert rows["preprocessing.columns[].steps[op=encode].method"][:7] == ["onehot", "|", "ordinal", "|", "native", "|", "target"]
    assert rows["preprocessing.columns[].steps[op=clip].lower_quantile"][:3] == ["float", "|", "null"]
    assert rows["preprocessing.columns[].dtype"][:5] == ["numeric", "|", "categorical", "|", "null"]


def test_list_tasks_names_each_task_with_its_metrics(capsys) -> None:
    lines = [" ".join(row) for row in _listed("tasks", capsys)]
    assert lines[0] == "classification" and lines[1].startswith("metrics: roc_auc (max), pr_auc (max), log_loss (min)")
    assert "regression" in lines and "metrics: rmse (min), mae (min), r2 (max), mape (min)" in lines
    assert "forecasting" in lines and "metrics: mae (min), rmse (min), mape (min), smape (min), mase (min)" in lines
