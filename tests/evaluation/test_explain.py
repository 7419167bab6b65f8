import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mmp_assets.evaluation.explain import explain, sample_rows
from tests.evaluation.conftest import FEATURES, recipe_for, synthetic_frame, training_set


def test_tree_explainer_ranks_the_planted_feature_first_on_raw_names(toy_classification):
    ts, pipeline, _ = toy_classification
    explanation = explain(pipeline, sample_rows(ts.X("test"), 100, 0), "classification", categorical=["channel"])
    assert explanation.method == "tree"
    assert list(explanation.values.columns) == FEATURES  # one-hot columns summed back onto `channel`
    assert explanation.importance["feature"].iloc[0] == "strong"


def test_catboost_under_the_shipped_threshold_wrapper_is_explained_natively():
    from mmp_assets.training.final import fit_final

    recipe = recipe_for().model_copy(update={"model": recipe_for().model.model_copy(update={
        "class_path": "catboost.CatBoostClassifier", "params": {"iterations": 40, "verbose": 0, "thread_count": 1,
                                                               "allow_writing_files": False}})})
    recipe = recipe.model_copy(update={"preprocessing": recipe.preprocessing.model_copy(update={
        "categorical": recipe.preprocessing.categorical.model_copy(update={"encode": "native"})})})
    ts = training_set(synthetic_frame(500, seed=2))
    model = fit_final(recipe, ts, {})
    explanation = explain(model, ts.X("test").head(60), "classification", categorical=["channel"])
    assert explanation.method == "tree"
    assert explanation.importance["feature"].iloc[0] == "strong"


def test_model_agnostic_explainer_ranks_the_planted_feature_first():
    ts = training_set(synthetic_frame(500, seed=3))
    prep = ColumnTransformer([("num", StandardScaler(), ["strong", "weak", "noise"]),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), ["channel"])])
    model = Pipeline([("prep", prep), ("model", LogisticRegression())]).fit(ts.X("train"), ts.y("train"))
    explanation = explain(model, ts.X("test").head(40), "classification", categorical=["channel"])
    assert explanation.method == "kernel"
    assert explanation.importance["feature"].iloc[0] == "strong"
    local = explanation.local(explanation.values.index[:2], top=2)
    assert local[0]["contributions"][0]["feature"] in FEATURES and np.isfinite(local[0]["contributions"][0]["shap"])


def test_encoded_columns_of_per_column_steps_map_back_to_their_raw_features():
    """Indicators go to their column; a polynomial term is shared by its factors, names with spaces included."""
    import numpy as np

    from mmp_assets.evaluation.explain import _to_raw

    raw = ["mean radius", "mean radius error", "colour"]
    encoded = ["mean radius", "mean radius error", "mean radius mean radius error", "mean radius^2", "missingindicator_colour", "colour_red"]
    values = np.array([[1.0, 2.0, 4.0, 8.0, 16.0, 32.0]])
    out = _to_raw(values, encoded, raw, [0])
    assert out.loc[0].to_dict() == {"mean radius": 1.0 + 2.0 + 8.0, "mean radius error": 2.0 + 2.0, "colour": 48.0}
