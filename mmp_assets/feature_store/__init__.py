"""The offline feature store: sources, versioned feature views, the catalog and point-in-time training sets.

Names are imported on first use (PEP 562): the definitions import the asset factories, which need
neither DuckDB nor pandas until an asset runs.
"""

from mmp_resources.lazy import lazy_exports

_EXPORTS = {
    "SPLITS": "mmp_assets.feature_store.contracts",
    "TrainingSet": "mmp_assets.feature_store.contracts",
    "build_feature_store_assets": "mmp_assets.feature_store.assets",
    "build_training_set_assets": "mmp_assets.feature_store.assets",
    "load_training_set": "mmp_assets.feature_store.training_sets",
    "point_in_time_features": "mmp_assets.feature_store.training_sets",
    "read_feature_view": "mmp_assets.feature_store.views",
    "read_source_frame": "mmp_assets.feature_store.sources",
    "resolve_version": "mmp_assets.feature_store.publish",
    "source_relation": "mmp_assets.feature_store.sources",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
