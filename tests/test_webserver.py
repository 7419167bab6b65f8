"""The UI a user opens really shows the graph: dagster-webserver's GraphQL API lists every demo asset."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_definitions import DEMO_KEYS

REPO = Path(__file__).resolve().parent.parent

QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def webserver(project: Path):
    shutil.copy(REPO / "workspace.yaml", project / "workspace.yaml")
    home = project / ".mmp" / "dagster_home"
    home.mkdir(parents=True)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=project,
        env={**os.environ, "DAGSTER_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_webserver_shows_every_demo_asset_with_group_and_owners(webserver) -> None:
    port, process = webserver
    deadline = time.monotonic() + 180
    nodes = []
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        try:
            nodes = _graphql(port, QUERY)["data"]["assetNodes"]
        except (OSError, KeyError, TypeError):
            nodes = []
        if nodes:
            break
        time.sleep(1)
    found = {"/".join(node["assetKey"]["path"]): node for node in nodes}
    assert DEMO_KEYS <= set(found), sorted(DEMO_KEYS - set(found))
    model = found["fraud/model"]
    assert model["groupName"] == "fraud"
    assert model["owners"] == [{"team": "fraud-ml"}]
    assert found["features/user_profile"]["owners"] == [{"team": "risk-features"}]
