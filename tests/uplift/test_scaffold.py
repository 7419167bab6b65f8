"""`mmp new recipe --task uplift` guesses the treatment column, keeps it out of the features and writes the uplift section."""

from __future__ import annotations

from pathlib import Path

import yaml

from mmp_assets.cli.main import main
from mmp_assets.recipes import load_recipes


def test_new_uplift_recipe_guesses_treatment_and_outcome(uplift_project: Path, capsys) -> None:
    capsys.readouterr()
    assert main(["new", "recipe", "promo_new", "--task", "uplift", "--source", "promo"]) == 0
    # the template's temporal split is the one thing a plain table must change (as for any task)
    assert capsys.readouterr().out == (
        "wrote recipes/promo_new.yaml; fill in:\n  recipes/promo_new.yaml: split.strategy: 'temporal' needs spine.timestamp, "
        "and this spine has none (a plain table); use random, stratified or group\n")
    path = uplift_project / "recipes" / "promo_new.yaml"
    text = path.read_text()
    assert "#   treated      BIGINT       -> uplift.treatment" in text and "#   converted    BIGINT       -> spine.label" in text
    data = yaml.safe_load(text)
    assert data["uplift"] == {"treatment": "treated", "learner": "t"} and "treated" not in data["spine"]["columns"]
    data["split"]["strategy"] = "stratified"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    recipes = load_recipes(uplift_project)
    assert not recipes.problems and recipes.models["promo_new"].tuning.metric == "qini"


def test_new_uplift_recipe_without_a_treatment_like_column_says_what_to_fill_in(uplift_project: Path, capsys) -> None:
    import pandas as pd

    frame = pd.read_parquet(uplift_project / "data" / "promo.parquet").rename(columns={"treated": "got_mail"})
    frame.to_parquet(uplift_project / "data" / "promo.parquet", index=False)
    assert main(["new", "recipe", "promo_new", "--task", "uplift", "--source", "promo"]) == 0
    assert "uplift:\n  # treatment: FILL IN the column of promo holding the arm (1 treated, 0 control)\n" in (
        uplift_project / "recipes" / "promo_new.yaml").read_text()
