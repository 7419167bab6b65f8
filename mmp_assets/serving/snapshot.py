"""Serving features from the offline store when there is no online store: its latest values, held in memory.

DuckDB lets one process write a database file while others wait for its lock, so the server never
keeps a connection open: it opens the file read-only, copies each joined view's latest row per
entity into a dict and closes it. Requests read the dict. The reloader re-reads a view only when the
file changed on disk and the view's current version moved; while a materialization holds the lock,
the server keeps answering from the snapshot it has and tries again at the next poll.

On DuckLake readers never wait for writers, so `LakeSnapshotFeatures` keeps one connection to the lake
(attaching it costs seconds) and at each poll asks the catalog for the views' current versions,
re-reading only the views whose version moved.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path

from mmp_assets.recipes import RecipeSet
from mmp_assets.recipes.feature_view import FeatureViewRecipe
from mmp_assets.recipes.model import ModelRecipe
from mmp_assets.serving.features import Entity, FeatureSource, view_lookups

log = logging.getLogger("mmp.serving")


@dataclass(frozen=True)
class ViewSnapshot:
    version: int
    columns: list[str]  # every stored column, in stored order
    rows: dict[Entity, dict]  # entity → latest row


class SnapshotFeatures(FeatureSource):
    """Latest values per entity of the offline store's current view versions, copied at load and on change."""

    kind = "offline_snapshot"

    def __init__(self, database: str, recipe: ModelRecipe, recipes: RecipeSet, *, lock_wait_s: float = 30.0):
        self.database = database
        self.views = {ref.view: recipes.views[ref.view] for ref in recipe.features}
        self._stamp = self._current_stamp()
        self._snapshots = self._read(lock_wait_s)
        super().__init__(recipe, view_lookups(recipe, recipes, {v: s.columns for v, s in self._snapshots.items()}))

    def fetch(self, wanted: Mapping[str, Sequence[Entity]]) -> tuple[dict[str, int | None], dict[str, list[dict | None]]]:
        snapshots = self._snapshots  # one reference: a refresh swaps the whole dict
        values = {view: [snapshots[view].rows.get(entity) for entity in entities] for view, entities in wanted.items()}
        return {view: s.version for view, s in snapshots.items()}, values

    def versions(self) -> dict[str, int | None]:
        return {view: s.version for view, s in self._snapshots.items()}

    def entities(self) -> dict[str, int]:
        return {view: len(s.rows) for view, s in self._snapshots.items()}

    def refresh(self) -> bool:
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return False
        try:
            snapshots = self._read(0.0, keep=self._snapshots)
        except self._busy_errors() as exc:  # a writer holds the lock: keep serving, retry at the next poll
            log.info("mmp serve: offline store busy (%s); keeping feature versions %s", exc, self.versions())
            return False
        self._stamp = stamp
        changed = {v: s.version for v, s in snapshots.items() if s is not self._snapshots.get(v)}
        self._snapshots = snapshots
        if changed:
            log.warning("mmp serve: now serving feature versions %s", changed)
        return bool(changed)

    def _read(self, lock_wait_s: float, keep: Mapping[str, ViewSnapshot] | None = None) -> dict[str, ViewSnapshot]:
        """Every view's current version, re-read only when it differs from `keep`'s."""
        from mmp_assets.feature_store import catalog
        from mmp_assets.feature_store.publish import resolve_version

        keep = keep or {}
        with self._open(lock_wait_s) as conn:
            out = {}
            for name, view in self.views.items():
                current = catalog.current_version(conn, "view", name)
                if current is not None and name in keep and keep[name].version == current:
                    out[name] = keep[name]
                    continue
                try:
                    entry = resolve_version(conn, "view", name)
                except LookupError as exc:
                    raise LookupError(f"{self.database}: {exc} (features/{name}); mmp serve reads its latest values") from None
                out[name] = _latest(conn, entry.table_name, entry.version, view)
        return out

    def _open(self, wait_s: float):
        return _read_only(self.database, wait_s)

    def _current_stamp(self) -> object:
        return _file_stamp(self.database)

    def _busy_errors(self) -> tuple[type[BaseException], ...]:
        import duckdb

        return (duckdb.IOException,)


class LakeSnapshotFeatures(SnapshotFeatures):
    """`SnapshotFeatures` read from a DuckLake lake through one connection kept for the server's life."""

    def __init__(self, connect: Callable[[], AbstractContextManager], where: str, recipe: ModelRecipe, recipes: RecipeSet):
        self._stack = ExitStack()  # holds the connection open (a dropped stack would let it close); it ends with the process
        self._connection = self._stack.enter_context(connect())
        super().__init__(where, recipe, recipes)

    def _open(self, wait_s: float):
        return nullcontext(self._connection)

    def _current_stamp(self) -> object:
        return object()  # no file to watch: every poll asks the catalog which versions are current (one query per view)

    def _busy_errors(self) -> tuple[type[BaseException], ...]:
        import duckdb

        return (duckdb.Error,)  # the catalog database unreachable for a moment: keep serving what was read


def _latest(conn, table: str, version: int, view: FeatureViewRecipe) -> ViewSnapshot:
    from mmp_assets.online.assets import latest_rows_sql

    result = conn.execute(latest_rows_sql(table, view))
    columns = [d[0] for d in result.description]
    keys = [columns.index(k) for k in view.entity]
    rows = {tuple(str(row[i]) for i in keys): dict(zip(columns, row, strict=True)) for row in result.fetchall()}
    return ViewSnapshot(version, columns, rows)


def _file_stamp(database: str) -> tuple:
    """Changes whenever DuckDB writes the file or its WAL (a checkpoint rewrites the file)."""
    stamp = []
    for path in (Path(database), Path(f"{database}.wal")):
        try:
            st = path.stat()
            stamp.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            stamp.append(None)
    return tuple(stamp)


class _read_only:
    """A read-only DuckDB connection, waiting up to `wait_s` while another process holds the write lock."""

    def __init__(self, database: str, wait_s: float):
        self.database, self.wait_s = database, wait_s

    def __enter__(self):
        import duckdb

        if not Path(self.database).exists():
            raise LookupError(f"{self.database}: the offline feature store does not exist yet; materialize the recipe's feature views first")
        deadline = time.monotonic() + self.wait_s
        while True:
            try:
                self.conn = duckdb.connect(self.database, read_only=True)
                return self.conn
            except duckdb.IOException as exc:
                if time.monotonic() >= deadline:
                    if self.wait_s <= 0:
                        raise
                    raise LookupError(
                        f"{self.database}: another process holds the offline store's lock (a materialization?) after "
                        f"waiting {self.wait_s:g} s; start mmp serve again when it has finished ({exc})"
                    ) from None
                time.sleep(0.25)

    def __exit__(self, *exc) -> None:
        self.conn.close()
