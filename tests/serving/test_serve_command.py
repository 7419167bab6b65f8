"""`mmp serve` as a user starts it: a real process on loopback, features from Redis, 4xx on bad input."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.services

ROW = {"user_id": "u1", "merchant_id": "m1", "amount": 12.5, "channel": "pos", "event_time": "2026-06-15T00:00:00"}


def _post(port: int, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/predict", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_mmp_serve_scores_with_redis_features_and_refuses_a_malformed_request(serving_project) -> None:
    root, env, version = serving_project
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "mmp_assets.cli", "serve", "toy", "--port", str(port)],
        env={**os.environ, "MMP_PROJECT_DIR": str(root), "MMP_ENV": env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        status, body = _post(port, json.dumps({"rows": [ROW]}).encode())
        assert status == 200, body
        assert body["predictions"][0]["prediction"] == 12.5 + 10 * 3 + 100 * 0.25  # txn_count and fraud_rate from Redis
        status, body = _post(port, json.dumps({"rows": [{**ROW, "amount": "lots"}]}).encode())
        assert status == 422 and body["problems"][0]["field"] == "rows[0].amount"
    finally:
        process.terminate()
        process.wait(timeout=20)
