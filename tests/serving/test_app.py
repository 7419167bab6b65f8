"""`/predict`, `/ready`, `/model/metadata` of the scoring app, with a real Redis and a real MLflow registry."""

from __future__ import annotations

import math

import pytest
from fastapi.testclient import TestClient

from mmp_assets.serving import build_serving_app
from mmp_resources import MmpValidationError

pytestmark = pytest.mark.services

ROW = {"user_id": "u1", "merchant_id": "m1", "amount": 12.5, "channel": "pos", "event_time": "2026-06-20T12:00:00"}


@pytest.fixture(scope="module")
def client(serving_project):
    root, env, _ = serving_project
    app, _ = build_serving_app(root, "toy", env)
    with TestClient(app) as test_client:
        yield test_client


def predict(client, *rows, **extra):
    return client.post("/predict", json={"rows": list(rows), **extra})


def test_scores_with_online_features_joined_under_training_names(client):
    response = predict(client, ROW)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["predictions"] == [{"prediction": 12.5 + 10 * 3 + 100 * 0.25, "missing_features": []}]
    assert body["feature_versions"] == {"user_profile": 1, "merchant_profile": 1}


def test_unknown_entity_gets_null_features_like_the_training_join(client):
    body = predict(client, {**ROW, "merchant_id": "m-unknown"}).json()
    assert body["predictions"][0]["missing_features"] == ["merchant_profile"]
    assert body["predictions"][0]["prediction"] is None or math.isnan(body["predictions"][0]["prediction"])


@pytest.mark.parametrize(
    ("event_time", "why"),
    [("2026-08-01T00:00:00", "beyond the 30d TTL"), ("2026-06-02T00:00:00", "merchant value from the event's future")],
)
def test_stale_or_future_values_are_not_used(client, event_time, why):
    missing = predict(client, {**ROW, "event_time": event_time}).json()["predictions"][0]["missing_features"]
    assert "merchant_profile" in missing, why


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({k: v for k, v in ROW.items() if k != "user_id"}, "rows[0].user_id", "is required but missing"),
        ({**ROW, "amount": "12.5"}, "rows[0].amount", "valid number"),
        ({**ROW, "user_id": 17}, "rows[0].user_id", "valid string"),
        ({**ROW, "colour": "red"}, "rows[0].colour", "unknown field"),
    ],
)
def test_malformed_rows_get_a_422_naming_the_field(client, row, field, message):
    response = predict(client, row)
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["field"] for p in problems] == [field] and message in problems[0]["message"]


def test_empty_or_unparseable_bodies_are_refused(client):
    assert predict(client).status_code == 422
    broken = client.post("/predict", content=b'{"rows": [', headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "malformed JSON" in broken.json()["problems"][0]["message"]


def test_ready_and_metadata(client, serving_project):
    assert client.get("/ready").json()["status"] == "ready"
    metadata = client.get("/model/metadata").json()
    assert metadata["model"] == "toy" and metadata["version"] == serving_project[2] and metadata["alias"] == "candidate"
    assert metadata["run_id"] and metadata["pinned_views"] == {"merchant_profile": 1, "user_profile": 1}
    assert metadata["features"] == {"source": "redis", "versions": {"user_profile": 1, "merchant_profile": 1}}


def test_champion_is_preferred_over_candidate(serving_project):
    from tests.serving.conftest import register_toy_model

    root, env, candidate = serving_project
    champion = register_toy_model(root, "champion")
    _, state = build_serving_app(root, "toy", env)
    assert (state.current.model.alias, state.current.model.version) == ("champion", champion) and champion != candidate


def test_clear_error_for_an_unknown_recipe(serving_project):
    root, env, _ = serving_project
    with pytest.raises(MmpValidationError, match=r"recipes/nope\.yaml: no such model recipe; known recipes: toy"):
        build_serving_app(root, "nope", env)
