"""docs/recipes.md is generated from the recipe models; a stale copy fails here, not in a user's hands."""

from pathlib import Path

from mmp_assets.recipes.reference import render

REPO = Path(__file__).resolve().parents[2]


def test_recipe_reference_is_current() -> None:
    assert (REPO / "docs" / "recipes.md").read_text() == render(), "run: python -m mmp_assets.recipes.reference > docs/recipes.md"
