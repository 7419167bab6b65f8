"""`mmp serve` without an online store on DuckLake: the lake's latest values per entity, held in memory, follow a
newly published version at the next poll (as the DuckDB file's snapshot does)."""

from __future__ import annotations

import pandas as pd

from mmp_assets.feature_store.views import materialize_view
from mmp_assets.serving.build import feature_source
from mmp_assets.serving.snapshot import LakeSnapshotFeatures
from mmp_resources import FeatureStoreResource
from tests.feature_store.test_ducklake_concurrency import lake  # noqa: F401 (the fixture)
from tests.feature_store.test_store_contract import ENV, T


def _snaps(scale: float) -> pd.DataFrame:
    return pd.DataFrame({"user_id": ["a", "a", "b"], "t": [T("2024-01-01"), T("2024-01-10"), T("2024-01-01")],
                         "spend": [1.0 * scale, 2.0 * scale, 3.0 * scale]})


def test_serving_reads_the_lakes_latest_values_and_follows_a_new_version(lake):  # noqa: F811
    lake.source("snaps", _snaps(1))
    lake.source("events", pd.DataFrame({"user_id": ["a", "b"], "t": [T("2024-02-01")] * 2, "y": [0, 1]}))
    lake.view("spend", entity="user_id", timestamp="t", source="snaps")
    lake.model("m", spine={"source": "events", "entity": "user_id", "timestamp": "t", "label": "y"}, features=[{"view": "spend"}])
    store = FeatureStoreResource(project_dir=str(lake.root), env=ENV)

    def publish() -> None:
        recipes = lake.recipes()
        with store.publishing("view", "spend") as conn:
            assert materialize_view(conn, recipes.views["spend"], recipes, lake.root, keep=10).status == "published"

    publish()
    recipes = lake.recipes()
    features = feature_source(lake.root, ENV, recipes.models["m"], recipes)
    assert isinstance(features, LakeSnapshotFeatures)
    versions, values = features.fetch({"spend": [("a",), ("b",), ("nobody",)]})
    assert versions == {"spend": 1}
    assert [v and v["spend"] for v in values["spend"]] == [2.0, 3.0, None]  # each entity's latest row
    assert features.refresh() is False  # nothing new published

    lake.source("snaps", _snaps(10))
    publish()
    assert features.refresh() is True
    versions, values = features.fetch({"spend": [("a",)]})
    assert versions == {"spend": 2} and values["spend"][0]["spend"] == 20.0
