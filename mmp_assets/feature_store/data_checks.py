"""`mmp validate --data`: what can be found wrong in the data itself, without publishing anything.

Everything runs on a private in-memory DuckDB connection (never the feature store): every source is read
and checked against its declared schema (header-only and unreadable files included), every view is computed
and checked for duplicate keys, and every model recipe's training set is joined and split exactly as
`<recipe>/training_set` would, then checked by the same rules (spine timestamp type and NULLs, join key
types, duplicates, tied temporal splits, infinities and NaN, label classes). The store, its catalog and
every published version stay as they are. Sources read from a database connection are left out (reading
them needs their URLs and network); the line says so.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from mmp_assets.feature_store.pit import asof_sql, plan_joins
from mmp_assets.feature_store.sources import check_source_schema, register_sources
from mmp_assets.feature_store.spine_checks import check_spine, check_staged
from mmp_assets.feature_store.splits import split_sql
from mmp_assets.feature_store.sql import columns_of, ident
from mmp_assets.feature_store.training_sets import count_unlabelled, feature_columns, resolved_spine, spine_sql
from mmp_assets.feature_store.views import view_query
from mmp_assets.recipes import RecipeSet


def data_findings(recipes: RecipeSet, root: Path) -> tuple[list[str], list[str]]:
    """(problems, warnings): one line each, every source, view and model recipe of `recipes`."""
    from mmp_assets.feature_store.training_build import untrainable_reason

    problems: list[str] = []
    warnings: list[str] = []
    conn = duckdb.connect(":memory:")
    try:
        readable = _sources(conn, recipes, root, problems, warnings)
        views = _views(conn, recipes, root, readable, problems)
        for name, recipe in sorted(recipes.models.items()):
            shown = recipes.file_of("model", name)
            if recipe.spine.source not in readable or any(ref.view not in views for ref in recipe.features):
                continue  # its source or a view already has a line of its own
            try:
                joins = plan_joins(recipe, recipes, {ref.view: (0, views[ref.view][0], views[ref.view][1]) for ref in recipe.features})
                recipe = resolved_spine(conn, recipe, recipes, joins)
                warnings += check_spine(conn, recipe, joins, shown)
                spine = spine_sql(conn, recipe, recipes, root)
                table = f"__mmp_check_ts_{name}"
                conn.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS "
                             f"{split_sql(asof_sql(spine, recipe.spine.timestamp, joins), spine, recipe)}")
                warnings += check_staged(conn, table, recipe, feature_columns(recipe, joins, columns_of(conn, f"SELECT * FROM {ident(table)}"))[0], shown)
                reason = untrainable_reason(conn, table, recipe, count_unlabelled(conn, recipe))
                if reason is not None:
                    problems.append(f"{shown}: spine.label: no model can be trained on this data: {reason}")
            except (ValueError, LookupError, duckdb.Error) as exc:
                problems.append(_line(exc, shown))
    finally:
        conn.close()
    return problems, warnings


def _line(exc: Exception, shown: str) -> str:
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return text if text.startswith(("recipes/", shown)) else f"{shown}: {text}"


def _sources(conn, recipes: RecipeSet, root: Path, problems: list[str], warnings: list[str]) -> set[str]:
    readable = set()
    for name, source in sorted(recipes.sources.items()):
        shown = recipes.file_of("source", name)
        if source.connection is not None:
            warnings.append(f"{shown}: connection: not read by validate --data (a database source); its data is checked when it is observed")
            continue
        try:
            register_sources(conn, [name], recipes, root)
            check_source_schema(conn, name, recipes)
            conn.execute(f"SELECT count(*) FROM {ident(name)}").fetchone()  # every row read: values that break the types show here
            readable.add(name)
        except (ValueError, duckdb.Error) as exc:
            problems.append(_line(exc, shown))
    return readable


def _views(conn, recipes: RecipeSet, root: Path, readable: set[str], problems: list[str]) -> dict[str, tuple[str, dict[str, str]]]:
    """view name → (in-memory table holding its rows, its schema), for the views that compute."""
    from mmp_assets.feature_store.reads import view_sources, view_template

    computed = {}
    for name, view in sorted(recipes.views.items()):
        shown = view_template(view, recipes)[1]
        if not set(view_sources(view, recipes)) <= readable:
            continue
        table = f"__mmp_check_view_{name}"
        try:
            rendered, _ = view_query(conn, view, recipes, root)
            conn.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} AS {rendered.sql}", rendered.params)
            schema = columns_of(conn, f"SELECT * FROM {ident(table)}")
            missing = [k for k in view.keys if k not in schema]
            if missing:
                problems.append(f"{recipes.file_of('view', name)}: entity/timestamp: column(s) {', '.join(map(repr, missing))} not in the "
                                f"view's output; its columns: {', '.join(schema)}")
                continue
            keys = ", ".join(ident(k) for k in view.keys)
            dupes = conn.execute(f"SELECT count(*) FROM (SELECT {keys} FROM {ident(table)} GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]
            if dupes:
                problems.append(f"{recipes.file_of('view', name)}: entity: {dupes} ({', '.join(view.keys)}) value(s) appear in more than one row "
                                "of the view; a version holds one row per key: aggregate or deduplicate in its SQL")
                continue
            computed[name] = (table, schema)
        except (ValueError, duckdb.Error) as exc:
            problems.append(_line(exc, shown))
    return computed
