"""`<recipe>/drift`: the newest scoring rows, joined point-in-time, against the live model's training rows.

The reference is the train split of the training set the serving version (champion, else the
candidate) was trained on, and the scoring rows are joined to the feature-view versions that
version pinned, so the comparison is between what the model learned from and what it now sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mmp_assets.evaluation.drift import DriftResult, detect_drift


@dataclass
class ScoringDrift:
    result: DriftResult
    reference: str
    current_rows: int
    html_path: Path


def measure_scoring_drift(recipe, recipes, root: Path, *, client, connect, data_dir: Path) -> ScoringDrift:
    from mmp_assets.feature_store import load_training_set, point_in_time_features, read_source_frame
    from mmp_assets.registry.versions import first_version
    from mmp_assets.tags import VersionTags

    name = recipe.name
    found = first_version(client, name)
    if found is None:
        raise ValueError(f"registered model {name!r} has no champion or candidate version; materialize {name}/model first")
    serving = found[1]
    tags = VersionTags.of(serving)
    with connect() as conn:
        training_set = load_training_set(conn, recipe, tags.training_set_version)
        spine = read_source_frame(conn, recipe.monitoring.scoring_source, recipes, root)
        if len(spine) == 0:
            raise ValueError(f"scoring source {recipe.monitoring.scoring_source!r} has no rows; nothing to compare")
        current = point_in_time_features(conn, recipe, recipes, spine, view_versions=tags.pinned_views)
    thresholds = recipe.monitoring.drift
    result = detect_drift(training_set.X("train"), current[training_set.feature_columns],
                          numeric=training_set.numeric_columns, categorical=training_set.categorical_columns,
                          p_value=thresholds.p_value, share_drifted_max=thresholds.share_drifted_max, seed=recipe.split.seed)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    html_path = data_dir / "reports" / name / "drift" / f"drift_{stamp}.html"
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(result.html, encoding="utf-8")
    reference = f"{name} v{serving.version} training set v{training_set.version} (train split)"
    return ScoringDrift(result, reference, len(current), html_path)
