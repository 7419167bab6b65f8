"""mmp's resources: the environment config loader and the resources it builds, in one place.

Names are imported on first use (PEP 562), so `import mmp_resources` does not pull in MLflow,
Optuna or DuckDB for a command that only needs the config loader.
"""

from mmp_resources.lazy import lazy_exports

_EXPORTS = {
    "FeatureStoreResource": "mmp_resources.feature_store",
    "MlflowResource": "mmp_resources.tracking",
    "MmpValidationError": "mmp_resources.errors",
    "OnlineStoreResource": "mmp_resources.online_store",
    "PlatformConfig": "mmp_resources.settings",
    "Problem": "mmp_resources.errors",
    "StudyStorageResource": "mmp_resources.studies",
    "active_env": "mmp_resources.loader",
    "build_resources": "mmp_resources.resources",
    "load_config": "mmp_resources.loader",
    "project_root": "mmp_resources.project",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
