"""`mmp serve <recipe>`: score requests over HTTP with the champion version and online features."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve", help="serve a recipe's champion model over HTTP (/predict, /health, /version), features from Redis"
    )
    serve.add_argument("recipe", help="model recipe name (recipes/<recipe>.yaml)")
    serve.add_argument("--host", help="address to bind (default: serving.host from config)")
    serve.add_argument("--port", type=int, help="port to listen on (default: serving.port from config)")
    serve.add_argument("--alias", default=None, help="serve this alias only (default: champion, else candidate with a warning)")
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mmp_assets.serving.build import build_serving_app
    from mmp_assets.tags import CANDIDATE, CHAMPION
    from mmp_resources import load_config, project_root

    root = project_root()
    config = load_config(root)
    aliases = (args.alias,) if args.alias else (CHAMPION, CANDIDATE)
    try:
        app, served = build_serving_app(root, args.recipe, config.env, aliases)
    except LookupError as exc:
        print(f"mmp serve: {exc}", file=sys.stderr)
        return 1
    host, port = args.host or config.serving.host, args.port or config.serving.port
    print(f"mmp serve: {served.name} version {served.version} ({served.alias}) on http://{host}:{port} (env {config.env})")
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
