"""Recipe formats (strict pydantic models) and the loader that reads them all."""

from mmp_assets.recipes.feature_view import FeatureViewRecipe, InlineQuery
from mmp_assets.recipes.loader import RecipeSet, load_recipes
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.recipes.prompt import PromptRecipe
from mmp_assets.recipes.source import SourceRecipe

__all__ = ["FeatureViewRecipe", "InlineQuery", "ModelRecipe", "PromptRecipe", "RecipeSet", "SourceRecipe", "load_recipes"]
