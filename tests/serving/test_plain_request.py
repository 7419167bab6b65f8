"""The /predict row of a plain-table recipe: the model's spine inputs, no timestamp, no entity."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.serving.schema import request_model

RECIPE = ModelRecipe.model_validate({
    "name": "wine", "description": "d", "owner": "team:t", "task": "classification",
    "spine": {"source": "wine", "label": "target", "columns": "all", "exclude": ["proline"]},
    "model": {"class_path": "sklearn.linear_model.LogisticRegression"}, "tuning": {"metric": "roc_auc"},
})


def test_columns_all_takes_the_model_inputs_no_view_supplies_and_no_timestamp_field():
    Request = request_model(RECIPE, [], {"alcohol": "double", "hue": "double", "segment": "string"}, frozenset({"segment"}))
    row = Request.model_validate({"rows": [{"alcohol": 13.1, "hue": None}]}).rows[0]
    fields = type(row).model_fields
    # the spine inputs are the row's required fields; a view's feature (segment) is an optional override, as in any recipe
    assert {n for n, f in fields.items() if f.is_required()} == {"alcohol", "hue"} and set(fields) == {"alcohol", "hue", "segment"}
    with pytest.raises(ValidationError, match="proline"):
        Request.model_validate({"rows": [{"alcohol": 13.1, "proline": 1000.0}]})
