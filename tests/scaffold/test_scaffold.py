"""`mmp init` writes a project that validates and materializes as written; `mmp new recipe` writes a
recipe from a source's columns that `mmp validate` accepts or names the one field to fill in."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmp_assets.cli.main import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def user_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A shell in tmp_path with no mmp variable set: the project is found from the working directory."""
    for name in ("MMP_PROJECT_DIR", "MMP_DATA_DIR", "MMP_ENV", "MMP_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "unused"))  # restored after; mmp points it at the project's
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_then_validate_and_materialize_in_the_new_project(user_shell, monkeypatch, capsys):
    assert main(["init", "shop"]) == 0
    assert "created an mmp project in shop" in capsys.readouterr().out
    monkeypatch.chdir(user_shell / "shop")
    assert main(["validate"]) == 0
    assert capsys.readouterr().out.strip() == "ok: 2 sources, 1 feature views, 1 model recipes, 0 prompts"
    assert main(["materialize", "--select", "*returns/predictions"]) == 0
    out = capsys.readouterr().out
    for step in ("features__customer_activity", "returns__training_set", "returns__model", "returns__predictions"):
        assert f"ok   {step}" in out
    assert (user_shell / "shop" / ".mmp" / "mmp.duckdb").is_file()  # the state stays inside the project


def test_init_refuses_a_folder_that_holds_files(user_shell, capsys):
    (user_shell / "taken").mkdir()
    (user_shell / "taken" / "notes.txt").write_text("mine")
    assert main(["init", "taken"]) == 1
    assert capsys.readouterr().err == "taken: already holds files (notes.txt); mmp init writes only into a new or empty folder\n"
    assert (user_shell / "taken" / "notes.txt").read_text() == "mine" and len(list((user_shell / "taken").iterdir())) == 1


def test_the_project_template_is_the_repository_s_own_config():
    templates = REPO / "mmp_assets" / "scaffold" / "templates"
    for name in ("config/base.yaml", "workspace.yaml", "dagster.yaml"):
        assert (templates / name).read_text() == (REPO / name).read_text(), f"{name}: template drifted from the repository's"


@pytest.fixture
def new_project(user_shell, monkeypatch) -> Path:
    assert main(["init", "shop"]) == 0
    monkeypatch.chdir(user_shell / "shop")
    return user_shell / "shop"


def test_new_recipe_lists_the_source_columns_and_validates(new_project, capsys):
    from mmp_assets.cli.validate import collect_problems

    capsys.readouterr()
    assert main(["new", "recipe", "returns_v2", "--task", "classification", "--source", "orders"]) == 0
    assert capsys.readouterr().out.startswith("wrote recipes/returns_v2.yaml; `mmp validate` accepts it.")
    text = (new_project / "recipes" / "returns_v2.yaml").read_text()
    for line in ("#   order_id     BIGINT", "#   customer_id  VARCHAR      -> spine.entity", "#   returned     INTEGER      -> spine.label",
                 "#   - view: customer_activity   # on customer_id: "):
        assert line in text
    problems, recipes = collect_problems()
    assert problems == [] and recipes.models["returns_v2"].spine.columns == ["amount", "channel"]


def test_new_recipe_names_the_one_field_to_fill_in(new_project, capsys):
    capsys.readouterr()
    assert main(["new", "recipe", "basket", "--task", "regression", "--source", "orders"]) == 0
    assert capsys.readouterr().out == "wrote recipes/basket.yaml; fill in:\n  recipes/basket.yaml: spine.label: is required but missing\n"
    assert "  # label: FILL IN a column of orders" in (new_project / "recipes" / "basket.yaml").read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["Churn", "--task", "regression", "--source", "orders"], "name: 'Churn' is not a recipe name; use lower-case letters, digits and _ (such as churn_30d)"),
        (["churn", "--task", "forecasting", "--source", "orders"], "--task: 'forecasting' is not a task; allowed: classification, regression, uplift"),
        (["churn", "--task", "regression", "--source", "nope"], "--source: unknown source 'nope'; known: customer_snapshots, orders"),
        (["returns", "--task", "regression", "--source", "orders"], "name: recipes/returns.yaml already exists; pick another name or edit it"),
    ],
)
def test_new_recipe_bad_input_is_one_line(new_project, capsys, argv, message):
    before = sorted(p.name for p in (new_project / "recipes").iterdir())
    capsys.readouterr()
    assert main(["new", "recipe", *argv]) == 1
    assert capsys.readouterr().err == message + "\n"
    assert sorted(p.name for p in (new_project / "recipes").iterdir()) == before
