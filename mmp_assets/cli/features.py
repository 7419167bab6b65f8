"""`mmp features list | show <view> [--version N] | docs [--out FILE]`: read the feature catalog."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # DuckDB and the catalog load when a command reads it, not when `mmp --help` builds the parser
    import duckdb

    from mmp_assets.feature_store.catalog import CatalogEntry


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("features", help="Browse the feature catalog: views, versions, owners, schemas.")
    sub = parser.add_subparsers(dest="features_command", metavar="<action>", required=True)
    sub.add_parser("list", help="Every feature view with its current version, owner and size.").set_defaults(func=_list)
    show = sub.add_parser("show", help="One view's catalog card: schema, null fractions, sources, versions.")
    show.add_argument("view", help="Feature view name.")
    show.add_argument("--version", type=int, default=None, help="Version number (default: the current one).")
    show.set_defaults(func=_show)
    docs = sub.add_parser("docs", help="Write the Markdown feature catalog.")
    docs.add_argument("--out", default="docs/feature_catalog.md", help="Output file, relative to the project root.")
    docs.set_defaults(func=_docs)


def _open() -> tuple[duckdb.DuckDBPyConnection, Path]:
    """A read-only connection (an in-memory one when nothing was materialized yet, so no file is created)."""
    import duckdb

    from mmp_resources import load_config, project_root

    root = project_root()
    config = load_config(root)
    if config.feature_store.kind == "ducklake":  # readers never wait for writers on DuckLake
        from mmp_resources import FeatureStoreResource
        from mmp_resources.ducklake import open_lake

        return open_lake(config, FeatureStoreResource(project_dir=str(root), env=config.env).allowed_directories), root
    path = Path(config.duckdb_path)
    if not path.is_file():
        return duckdb.connect(), root
    try:
        return duckdb.connect(str(path), read_only=True), root
    except duckdb.IOException as exc:
        raise SystemExit(f"mmp features: {path} is busy (a run is writing to it?); retry when it is done. ({str(exc).splitlines()[0]})") from None


def _current(conn) -> tuple[dict[str, CatalogEntry], dict[str, int]]:
    from mmp_assets.feature_store import catalog

    every = catalog.entries(conn, "view")
    counts = Counter(e.name for e in every if e.retired_at is None)
    current = {}
    for entry in every:
        if entry.version == catalog.current_version(conn, "view", entry.name):
            current[entry.name] = entry
    return current, dict(counts)


def _list(args: argparse.Namespace) -> int:
    from mmp_assets.feature_store.catalog_report import list_table
    from mmp_assets.recipes import load_recipes

    conn, root = _open()
    with conn:
        print(list_table(*_current(conn), load_recipes(root)))
    return 0


def _show(args: argparse.Namespace) -> int:
    from mmp_assets.feature_store import catalog
    from mmp_assets.feature_store.catalog_report import show_card

    conn, _ = _open()
    with conn:
        entry = catalog.find_entry(conn, "view", args.view, args.version)
        versions = catalog.entries(conn, "view", args.view)
        if entry is None:
            known = ", ".join(f"v{v.version}" for v in versions) or "none published"
            print(f"mmp features show: {args.view}: no version {args.version if args.version else '(current)'}; versions: {known}")
            return 1
        pins = conn.execute(
            "SELECT training_set, version FROM mmp_pins WHERE view = $v AND view_version = $n ORDER BY ALL", {"v": entry.name, "n": entry.version}
        ).fetchall()
        print(show_card(entry, versions, [(t, v) for t, v in pins]))
    return 0


def _docs(args: argparse.Namespace) -> int:
    from mmp_assets.feature_store.catalog_report import markdown
    from mmp_assets.recipes import load_recipes

    conn, root = _open()
    with conn:
        text = markdown(*_current(conn), load_recipes(root))
    out = Path(args.out) if Path(args.out).is_absolute() else root / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out}")
    return 0
