"""The one mapping from resource names to resources, built from the active environment's config."""

from __future__ import annotations

from pathlib import Path

from mmp_resources.feature_store import FeatureStoreResource
from mmp_resources.online_store import OnlineStoreResource
from mmp_resources.settings import PlatformConfig
from mmp_resources.studies import StudyStorageResource
from mmp_resources.tracking import MlflowResource


def build_resources(config: PlatformConfig, project_dir: Path) -> dict[str, object]:
    """Resource name → resource for one environment. Asset code asks for these names only."""
    common = {"project_dir": str(project_dir), "env": config.env}
    return {
        "feature_store": FeatureStoreResource(**common),
        "mlflow": MlflowResource(**common),
        "study_storage": StudyStorageResource(**common),
        "online_store": OnlineStoreResource(**common),
    }
