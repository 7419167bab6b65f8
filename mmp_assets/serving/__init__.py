"""Online scoring: `mmp serve <recipe>` answers requests with the champion model and the latest features."""

from mmp_assets.serving.app import create_app
from mmp_assets.serving.build import build_serving_app, feature_source
from mmp_assets.serving.features import FeatureSource
from mmp_assets.serving.model import ServedModel, load_served_model
from mmp_assets.serving.state import Served, ServingState

__all__ = ["FeatureSource", "Served", "ServedModel", "ServingState", "build_serving_app", "create_app", "feature_source", "load_served_model"]
