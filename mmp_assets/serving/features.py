"""Feature rows for scoring requests, with the training join's semantics, from any feature source.

Training joins each spine row to a view's latest row at or before the spine timestamp and within the
view's TTL (`feature_store/pit.py`). A serving source holds each entity's latest row (Redis in
dev/prod, a snapshot of the offline store in the embedded default), so a request gets that row when
its timestamp is at or before the event time (default: now) and within the TTL; otherwise the view's
features are null for that row, as they would have been in training. Column names come from the
same function training uses, so the model sees the columns it was fitted on. A feature value passed
in the request row wins over the stored one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.model import ModelRecipe

Entity = tuple[str, ...]


@dataclass(frozen=True)
class ViewLookup:
    view: FeatureViewRecipe
    spine_keys: list[str]
    columns: dict[str, str]  # model input column → view column


@dataclass
class FeatureFrame:
    """Model inputs as column → values (request order), per row the views with no fresh value, view → version read."""

    columns: dict[str, list]
    missing: list[list[str]]
    versions: dict[str, int | None]


def view_lookups(recipe: ModelRecipe, recipes: RecipeSet, stored_columns: Mapping[str, Sequence[str]]) -> list[ViewLookup]:
    """One lookup per joined view, its columns named as in the training set (`stored_columns`: view → its columns)."""
    from mmp_assets.feature_store.pit import feature_names, selected_columns

    wanted = {
        ref.view: selected_columns(ref.columns, recipes.views[ref.view], dict.fromkeys(stored_columns[ref.view])) for ref in recipe.features
    }
    names = feature_names(recipe, wanted)
    return [ViewLookup(recipes.views[ref.view], list(ref.on or recipe.spine.entity), names[ref.view]) for ref in recipe.features]


class FeatureSource:
    """Turns request rows (entity ids, request-time fields, optional feature values) into model inputs.

    Implementations say how the latest values per entity are read (`fetch`); the join semantics are here.
    """

    kind = "none"

    def __init__(self, recipe: ModelRecipe, lookups: list[ViewLookup]):
        self.recipe, self.lookups = recipe, lookups

    # -- what implementations provide ----------------------------------------------------------
    def fetch(self, wanted: Mapping[str, Sequence[Entity]]) -> tuple[dict[str, int | None], dict[str, list[dict | None]]]:
        """(view → version read, view → latest values per entity, None when unknown); timestamps as naive UTC datetimes."""
        raise NotImplementedError

    def problem(self) -> str | None:
        """Why the source cannot answer right now (for `/ready`), None when it can."""
        return None

    def versions(self) -> dict[str, int | None]:
        """view → the version requests are answered from."""
        raise NotImplementedError

    def refresh(self) -> bool:
        """Pick up newer feature versions; True when something changed. Called by the reloader."""
        return False

    # -- the join ---------------------------------------------------------------------------------
    @property
    def entity_fields(self) -> list[str]:
        return list(dict.fromkeys(k for lookup in self.lookups for k in lookup.spine_keys)) or list(self.recipe.spine.entity)

    @property
    def feature_columns(self) -> list[str]:
        return [name for lookup in self.lookups for name in lookup.columns]

    def entity_problems(self, rows: list[dict]) -> list[dict[str, str]]:
        """A row needs the ids of every view whose features it does not carry itself."""
        problems = []
        for i, row in enumerate(rows):
            for lookup in self.lookups:
                if all(c in row for c in lookup.columns):
                    continue
                for key in lookup.spine_keys:
                    if row.get(key) is None:
                        problems.append({"field": f"rows[{i}].{key}", "message": (
                            f"is required but missing (features/{lookup.view.name} is looked up by it; "
                            f"or pass all of {', '.join(lookup.columns)})"
                        )})  # fmt: skip
        return list({p["field"]: p for p in problems}.values())

    def _request_columns(self, rows: list[dict]) -> list[str]:
        """Spine columns: as listed, or with `columns: all` every other field the (schema-checked) rows carry."""
        spine = self.recipe.spine
        if spine.columns != "all":
            return spine.listed_columns
        other = {*self.entity_fields, spine.timestamp, *self.feature_columns}
        return [name for name in dict.fromkeys(k for row in rows for k in row) if name not in other]

    def frame(self, rows: list[dict]) -> FeatureFrame:
        """Rows → model input columns. A key present in a row (even null) is the value used, not the store's."""
        now = datetime.now(UTC).replace(tzinfo=None)
        stamp = self.recipe.spine.timestamp
        at = [(_naive(row.get(stamp)) if stamp else None) or now for row in rows]
        needed = {lu.view.name: [i for i, row in enumerate(rows) if not all(c in row for c in lu.columns)] for lu in self.lookups}
        wanted = {
            lu.view.name: [tuple(str(rows[i][k]) for k in lu.spine_keys) for i in needed[lu.view.name]] for lu in self.lookups
        }
        versions, values = self.fetch(wanted) if any(wanted.values()) else (self.versions(), {v: [] for v in wanted})
        columns: dict[str, list] = {}
        for name in self._request_columns(rows):
            columns[name] = [row.get(name) for row in rows]
        missing: list[list[str]] = [[] for _ in rows]
        for lookup in self.lookups:
            view = lookup.view
            found: list[dict | None] = [None] * len(rows)
            for i, value in zip(needed[view.name], values[view.name], strict=True):
                if value is not None and _fresh(view, value, at[i]):
                    found[i] = value
                else:
                    missing[i].append(view.name)
            for name, column in lookup.columns.items():
                columns[name] = [
                    row[name] if name in row else (value.get(column) if value is not None else None)
                    for row, value in zip(rows, found, strict=True)
                ]
        return FeatureFrame(columns, missing, versions)


def _naive(value: object) -> datetime | None:
    """A datetime (or ISO text) as naive UTC; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):  # pandas Timestamp is a datetime; a date is not
        value = datetime(value.year, value.month, value.day)
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _fresh(view: FeatureViewRecipe, value: dict, at: datetime) -> bool:
    """Known by `at` (never a value from the event's future) and within the view's TTL, like the ASOF join;
    a view without a timestamp has one row per entity, always current."""
    if not view.timestamp:
        return True
    known = _naive(value.get(view.timestamp))
    if known is None or known > at or (view.strictly_before and known == at):
        return False
    return view.ttl_delta is None or at - known <= view.ttl_delta
