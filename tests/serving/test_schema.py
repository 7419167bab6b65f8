"""The request body with `spine.columns: all`: its request-time fields are the model's inputs no feature view supplies."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mmp_assets.recipes.loader import RecipeSet
from mmp_assets.serving.schema import request_model
from mmp_assets.serving.snapshot import SnapshotFeatures
from tests.training.toys import make_recipe

INPUTS = {"x1": "double", "colour": "string", "txn_count": "double"}


def test_columns_all_takes_the_model_inputs_no_view_supplies(tmp_path):
    import duckdb

    recipe = make_recipe(spine={"source": "events", "label": "is_bad", "columns": "all", "timestamp": None, "entity": []},
                         split={"strategy": "stratified", "validation": 0.25, "test": 0.2})
    request = request_model(recipe, [], INPUTS, ["txn_count"])
    row = request.model_validate({"rows": [{"x1": 1.5, "colour": "red"}]}).rows[0]
    assert row.model_dump(exclude_unset=True) == {"x1": 1.5, "colour": "red"}
    with pytest.raises(ValidationError, match="event_time"):  # no timestamp on a plain table: an unknown field
        request.model_validate({"rows": [{"x1": 1.5, "colour": "red", "event_time": "2024-01-01"}]})
    duckdb.connect(str(tmp_path / "offline.duckdb")).close()  # a plain table joins no view: the store holds nothing
    features = SnapshotFeatures(str(tmp_path / "offline.duckdb"), recipe, RecipeSet(root=tmp_path))
    frame = features.frame([{"x1": 1.5, "colour": "red"}, {"x1": None, "colour": "blue"}])
    assert frame.columns == {"x1": [1.5, None], "colour": ["red", "blue"]}
