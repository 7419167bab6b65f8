"""Feature store resource contract (connect / write / read) over its DuckDB file implementation."""

from __future__ import annotations

import pandas as pd
import pytest

from mmp_resources import FeatureStoreResource


@pytest.fixture(params=["duckdb"])
def feature_store(request, contract_project):
    root, env = contract_project({"duckdb": {"path": "store/mmp.duckdb"}})
    return FeatureStoreResource(project_dir=str(root), env=env)


class TestFeatureStore:
    def test_the_file_lives_under_data_dir(self, feature_store):
        assert feature_store.database == str(feature_store.config.data_dir / "store" / "mmp.duckdb")

    def test_a_write_is_visible_to_the_next_connection(self, feature_store):
        frame = pd.DataFrame({"user_id": ["u1", "u2"], "amount": [1.5, 2.5]})
        with feature_store.connect() as conn:
            conn.execute("CREATE TABLE t AS SELECT * FROM frame")
        with feature_store.connect() as conn:
            back = conn.execute("SELECT * FROM t ORDER BY user_id").df()
        pd.testing.assert_frame_equal(back, frame)
