import json

from mmp_resources.settings import PlatformConfig
from mmp_assets.evaluation.alerts import send_alert


def test_webhook_post_is_received_by_a_local_server(webhook):
    url, received = webhook
    config = PlatformConfig.model_validate({"alerts": {"webhook_url": url}})
    assert send_alert(config, "fraud: quality gate failed", {"version": "3", "failures": ["roc_auc is 0.7"]})
    content_type, body = received[0]
    assert content_type == "application/json"
    assert body["title"] == "fraud: quality gate failed" and body["details"]["version"] == "3"
    assert "s3cret" not in json.dumps(body)


def test_no_webhook_configured_sends_nothing_and_an_unreachable_one_does_not_raise():
    assert send_alert(PlatformConfig(), "t", {}) is False
    assert send_alert(PlatformConfig.model_validate({"alerts": {"webhook_url": ""}}), "t", {}) is False
    unreachable = PlatformConfig.model_validate({"alerts": {"webhook_url": "http://127.0.0.1:9/nothing"}})
    assert send_alert(unreachable, "t", {}) is False
