"""The offline feature store: sources, versioned feature views, the catalog and point-in-time training sets."""

from mmp_assets.feature_store.assets import build_feature_store_assets, build_training_set_assets
from mmp_assets.feature_store.contracts import SPLITS, TrainingSet
from mmp_assets.feature_store.publish import resolve_version
from mmp_assets.feature_store.sources import read_source_frame, source_relation
from mmp_assets.feature_store.training_sets import load_training_set, point_in_time_features
from mmp_assets.feature_store.views import read_feature_view

__all__ = [
    "SPLITS",
    "TrainingSet",
    "build_feature_store_assets",
    "build_training_set_assets",
    "load_training_set",
    "point_in_time_features",
    "read_feature_view",
    "read_source_frame",
    "resolve_version",
    "source_relation",
]
