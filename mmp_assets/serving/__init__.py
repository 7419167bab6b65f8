"""Online scoring: `mmp serve <recipe>` answers requests with the champion model and Redis features."""

from mmp_assets.serving.app import create_app
from mmp_assets.serving.build import build_serving_app
from mmp_assets.serving.features import OnlineFeatures
from mmp_assets.serving.model import ServedModel, load_served_model

__all__ = ["OnlineFeatures", "ServedModel", "build_serving_app", "create_app", "load_served_model"]
