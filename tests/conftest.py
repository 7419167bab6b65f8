"""Shared fixtures: a throwaway copy of the project (config + recipes) with its data dir in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


# The longest files, longest first (`--durations` of a full run): each is one or a few real end-to-end scenarios.
LONGEST = ("tests/automation/test_daemon.py", "tests/envs/test_mlflow_auth.py", "tests/envs/test_dev_demo.py",
           "tests/crash/test_kill_and_rerun.py", "tests/test_demo_end_to_end.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first, then the other files with a `slow` test, then the rest. The suite runs on two
    workers a file at a time in this order (`-n 2 --dist loadfile --no-loadscope-reorder` in pyproject.toml;
    xdist's default order is by test count, which started the one-test end-to-end files last and left one
    worker running them alone at the end of the run)."""
    def rank(item: pytest.Item) -> tuple[int, int]:
        path = item.nodeid.split("::")[0]
        first = LONGEST.index(path) if path in LONGEST else len(LONGEST)
        return first, item.get_closest_marker("slow") is None

    items.sort(key=rank)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the repo's config/ and recipes/ in tmp_path, selected via MMP_PROJECT_DIR, base env."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(REPO / "recipes", root / "recipes")
    monkeypatch.setenv("MMP_PROJECT_DIR", str(root))
    monkeypatch.setenv("MMP_DATA_DIR", str(root / ".mmp"))
    monkeypatch.delenv("MMP_ENV", raising=False)
    return root


@pytest.fixture
def webhook():
    """A real HTTP server on loopback standing in for the alerts webhook: (url, [(content_type, json body)])."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[tuple[str, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            received.append((self.headers["Content-Type"], json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook?token=s3cret", received
    server.shutdown()
    thread.join(5)
