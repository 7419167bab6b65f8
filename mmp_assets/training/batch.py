"""Batch scoring: any rows, any registered version, features joined point-in-time when the rows say when.

`mmp predict` and `<recipe>/predictions` both score through `score_batch`. Rows that carry the
spine timestamp get the recipe's feature views joined exactly as in training (the feature store's
own join, against the views' current versions); rows without it must carry every model input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import pandas as pd
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from mmp_assets.feature_store.training_sets import pinned_joins, point_in_time_features
from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.registry.versions import first_version, version_for_alias
from mmp_assets.training.predictions import score_rows


class ScoringInputError(ValueError):
    """Rows, a version or an alias that cannot be scored; the message is one line naming the culprit."""


@dataclass(frozen=True)
class ScoredBatch:
    """Scored rows and what they were scored with, for the output's columns and metadata."""

    frame: pd.DataFrame
    model_name: str
    model_version: str
    alias: str | None
    view_versions: dict[str, int] = field(default_factory=dict)
    scored_at: datetime | None = None
    source_params: dict = field(default_factory=dict)

    def provenance(self) -> dict:
        return {"model_name": self.model_name, "model_version": self.model_version, "model_alias": self.alias,
                "model_uri": f"models:/{self.model_name}/{self.model_version}", "feature_view_versions": self.view_versions,
                "scored_at": self.scored_at.isoformat() if self.scored_at else None, "rows": len(self.frame),
                "source_params": self.source_params}  # fmt: skip


def resolve_version(client: MlflowClient, name: str, version: int | None = None, alias: str | None = None) -> tuple[ModelVersion, str | None]:
    """(version, alias it was found by): the number asked, the alias asked, else the champion, else the candidate."""
    try:
        registered = client.get_registered_model(name)
    except MlflowException:
        raise ScoringInputError(f"{name} has no registered model; materialize {name}/model first") from None
    if version is not None:
        try:
            return client.get_model_version(name, str(version)), None
        except MlflowException:
            known = sorted(int(v.version) for v in client.search_model_versions(f"name = '{name}'"))
            raise ScoringInputError(
                f"--version: {name} has no version {version}; its versions: {', '.join(map(str, known)) or '(none)'}") from None
    if alias is not None:
        found = version_for_alias(client, name, alias)
        if found is None:
            raise ScoringInputError(
                f"--alias: {name} has no alias {alias!r}; its aliases: {', '.join(sorted(registered.aliases)) or '(none)'}")
        return found, alias
    served = first_version(client, name)
    if served is None:
        raise ScoringInputError(f"{name} has no champion or candidate version; give --version N, or materialize {name}/model")
    return served[1], served[0]


def with_features(
    conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, recipes: RecipeSet, rows: pd.DataFrame, inputs: list[str], shown: str
) -> tuple[pd.DataFrame, dict[str, int]]:
    """(rows with every model input, view → version joined). Joined point-in-time when the rows carry the
    spine timestamp and the recipe has views (a plain spine, without timestamp, joins its static views on
    the keys alone); else the rows must hold the inputs themselves."""
    versions: dict[str, int] = {}
    timestamp = recipe.spine.timestamp
    joined = bool(recipe.features) and (timestamp is None or timestamp in rows.columns)
    if joined:
        keys = [*recipe.spine.entity, *(c for ref in recipe.features for c in (ref.on or []))]
        missing = [c for c in dict.fromkeys(keys) if c not in rows.columns]
        if missing:
            which = f"rows with {timestamp!r}" if timestamp else "rows"
            raise ScoringInputError(f"{shown}: missing column(s) {', '.join(missing)}: {which} are joined "
                                    f"to {recipe.name}'s feature views on {', '.join(dict.fromkeys(keys))}")
        if timestamp:
            rows = rows.assign(**{timestamp: event_times(rows[timestamp], f"{shown}: column {timestamp!r}")})
        versions = {join.view.name: join.version for join in pinned_joins(conn, recipe, recipes)}
        try:
            rows = point_in_time_features(conn, recipe, recipes, rows, view_versions=versions)
        except duckdb.Error as exc:  # a timestamp or key column of a type the join cannot compare
            on = ", ".join(dict.fromkeys([*keys, *filter(None, [timestamp])]))
            raise ScoringInputError(f"{shown}: cannot join {recipe.name}'s feature views on {on}: {str(exc).splitlines()[0]}") from None
    missing = [c for c in inputs if c not in rows.columns]
    if missing:
        hint = (f"; give the spine timestamp {timestamp!r} and {', '.join(recipe.spine.entity)} to join the feature views point-in-time"
                if recipe.features and not joined else "")
        raise ScoringInputError(f"{shown}: missing column(s) {', '.join(missing)} that {recipe.name} scores{hint}")
    return rows, versions


def event_times(values: pd.Series, shown: str) -> pd.Series:
    """The spine timestamps as naive datetimes (UTC, as views store them): text parsed, time zones converted."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        try:
            values = pd.to_datetime(values, utc=True, format="mixed")
        except (ValueError, TypeError):
            bad = next((v for v in values.dropna() if pd.isna(pd.to_datetime(v, errors="coerce", utc=True))), values.dropna().iloc[0])
            raise ScoringInputError(f"{shown}: {bad!r} is not a timestamp; write times such as 2024-03-01 12:00:00") from None
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    return values


def input_columns(model) -> dict[str, str]:
    """Model input column → MLflow type name, from the pyfunc's signature."""
    schema = model.metadata.get_input_schema()
    return {spec.name: spec.type.name for spec in schema.inputs} if schema is not None and schema.has_input_names() else {}


def score_batch(
    conn: duckdb.DuckDBPyConnection, recipe: ModelRecipe, recipes: RecipeSet, rows: pd.DataFrame, version: ModelVersion,
    alias: str | None = None, *, shown: str = "rows", joined_views: dict[str, int] | None = None, source_params: dict | None = None,
) -> ScoredBatch:
    """Score `rows` with one registered version (see `resolve_version`); `shown` names the rows in errors.
    `joined_views`: the rows already carry features joined from these view versions (a training set's split);
    `source_params`: the template values the rows' source was read with, for the record."""
    import mlflow

    if len(rows) == 0:
        raise ScoringInputError(f"{shown}: has no rows; nothing to score")
    model = mlflow.pyfunc.load_model(f"models:/{recipe.name}/{version.version}")
    inputs = input_columns(model)
    if not inputs:
        raise ScoringInputError(f"models:/{recipe.name}/{version.version} has no named input signature; mmp scores models mmp registered")
    if recipe.task == "forecasting":  # the rows are series history: forecast each series' next horizon periods
        from mmp_assets.feature_store.forecast_build import ForecastDataError, future_rows

        try:
            featured, views = future_rows(conn, recipe, rows, shown), {}
        except (ForecastDataError, duckdb.Error) as exc:
            raise ScoringInputError(str(exc).splitlines()[0]) from None
        inputs = {c: kind for c, kind in inputs.items() if c in featured.columns}  # the signature's history columns stay out
    elif joined_views is None:
        featured, views = with_features(conn, recipe, recipes, rows, list(inputs), shown)
    else:
        featured, views = rows, dict(joined_views)
    scored = score_rows(model, featured, list(inputs), recipe.name, version.version, input_types=inputs, view_versions=views)
    return ScoredBatch(scored, recipe.name, str(version.version), alias, views, scored["scored_at"].iloc[0].to_pydatetime(),
                       dict(source_params or {}))
