"""`mmp serve` as a user starts it with Redis: a real process on loopback, 4xx on bad input."""

from __future__ import annotations

import pytest

from tests.serving.conftest import call, running_serve

ROW = {"user_id": "u1", "merchant_id": "m1", "amount": 12.5, "channel": "pos", "event_time": "2026-06-15T00:00:00"}


@pytest.mark.services
def test_mmp_serve_scores_with_redis_features_and_refuses_a_malformed_request(serving_project) -> None:
    root, env, _ = serving_project
    with running_serve(root, env) as port:
        status, body = call(port, "/predict", {"rows": [ROW]})
        assert status == 200, body
        assert body["predictions"][0]["prediction"] == 12.5 + 10 * 3 + 100 * 0.25  # txn_count and fraud_rate from Redis
        status, body = call(port, "/predict", {"rows": [{**ROW, "amount": "lots"}]})
        assert status == 422 and body["problems"][0]["field"] == "rows[0].amount"
