"""docs/recipes.md is generated from the recipe models; a stale copy fails here, not in a user's hands."""

from pathlib import Path

from mmp_assets.recipes.reference import render

REPO = Path(__file__).resolve().parents[2]


def test_recipe_reference_is_current() -> None:
    assert (REPO / "docs" / "recipes.md").read_text() == render(), "run: python -m mmp_assets.recipes.reference > docs/recipes.md"


def test_task_sections_version_the_assets_that_read_them():
    """Editing a forecasting or uplift section marks the training set and the model stale; the sections' absence
    leaves every other recipe's code versions as they were."""
    from mmp_assets.recipes.versions import MODEL_STAGE_SECTIONS, model_code_version
    from mmp_assets.recipes.model import ModelRecipe

    for section in ("forecast", "uplift"):
        assert section in MODEL_STAGE_SECTIONS["training_set"] and section in MODEL_STAGE_SECTIONS["model"]
        assert section in ModelRecipe.model_fields
    uplift = {"name": "u", "description": "d", "owner": "team:x", "task": "uplift",
              "spine": {"source": "s", "entity": ["id"], "label": "y", "columns": ["a"]},
              "uplift": {"treatment": "t", "learner": "t"},
              "model": {"class_path": "sklearn.linear_model.LogisticRegression"},
              "tuning": {"metric": "qini", "n_trials": 1}}
    first = ModelRecipe.model_validate(uplift)
    second = ModelRecipe.model_validate({**uplift, "uplift": {"treatment": "t", "learner": "x"}})
    assert model_code_version(first, "model") != model_code_version(second, "model")
