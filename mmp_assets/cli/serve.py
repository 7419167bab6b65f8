"""`mmp serve <recipe>`: score requests over HTTP with the champion version and the latest features."""

from __future__ import annotations

import argparse
import sys


_SCORING = {"compiled": "the compiled fast path", "frame": "predict_frame (a step the compiled path does not know)",
            None: "the plain pyfunc predict"}


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve",
        help="serve a recipe's champion model over HTTP (/predict, /ready, /metrics, ...); features from Redis, "
        "else from the offline store",
    )
    serve.add_argument("recipe", help="model recipe name (recipes/<recipe>.yaml)")
    serve.add_argument("--host", help="address to bind (default: serving.host from config)")
    serve.add_argument("--port", type=int, help="port to listen on (default: serving.port from config)")
    serve.add_argument("--alias", default=None, help="serve this alias only (default: champion, else candidate with a warning)")
    serve.add_argument(
        "--reload-interval", type=float, default=None, metavar="SECONDS",
        help="how often to check whether the alias moved or the features changed (default: serving.reload_interval_s; 0: never)",
    )  # fmt: skip
    serve.add_argument(
        "--no-fast-path", action="store_true",
        help="score through the pyfunc's plain predict (MLflow schema enforcement per call), e.g. to compare answers or timings",
    )  # fmt: skip
    serve.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mmp_assets.serving.build import build_serving_app
    from mmp_assets.tags import CANDIDATE, CHAMPION
    from mmp_resources import load_config, project_root
    from mmp_resources.errors import MmpValidationError, Problem

    if args.reload_interval is not None and args.reload_interval < 0:
        raise MmpValidationError([Problem("--reload-interval", "", f"{args.reload_interval} is negative; give seconds >= 0 (0: never reload)")])
    root = project_root()
    config = load_config(root)
    aliases = (args.alias,) if args.alias else (CHAMPION, CANDIDATE)
    try:
        app, state = build_serving_app(root, args.recipe, config.env, aliases, args.reload_interval, fast_path=not args.no_fast_path)
    except LookupError as exc:
        print(f"mmp serve: {exc}", file=sys.stderr)
        return 1
    host, port = args.host or config.serving.host, args.port or config.serving.port
    served = state.current
    print(
        f"mmp serve: {served.model.name} version {served.model.version} ({served.model.alias}) on http://{host}:{port} "
        f"(env {config.env}, features from {served.features.kind}, reload check every {state.interval_s:g} s"
        f", scoring through {_SCORING[served.model.fast_kind]})",
        flush=True,
    )
    from mmp_assets.serving.state import freeze_gc

    state.freeze_gc = True
    freeze_gc()  # the whole loaded process: see freeze_gc
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
