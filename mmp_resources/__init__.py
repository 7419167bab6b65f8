"""mmp's resources: the environment config loader and the resources it builds, in one place."""

from mmp_resources.errors import MmpValidationError, Problem
from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.loader import active_env, load_config
from mmp_resources.online_store import OnlineStoreResource
from mmp_resources.project import project_root
from mmp_resources.resources import build_resources
from mmp_resources.settings import PlatformConfig
from mmp_resources.studies import StudyStorageResource
from mmp_resources.tracking import MlflowResource

__all__ = [
    "FeatureStoreResource",
    "MlflowResource",
    "MmpValidationError",
    "OnlineStoreResource",
    "PlatformConfig",
    "Problem",
    "StudyStorageResource",
    "active_env",
    "build_resources",
    "load_config",
    "project_root",
]
