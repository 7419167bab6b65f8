"""Alerts: a JSON POST to `alerts.webhook_url` when a gate fails or data drifts.

Sending never raises: an unreachable webhook must not turn a finished evaluation into a failed
run; the check failure in Dagster is the alert of record, the webhook a courtesy copy. The body
holds only the title and the details given; the URL itself (which may embed a token) is never
logged or echoed.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from datetime import UTC, datetime

log = logging.getLogger(__name__)

TIMEOUT_S = 5.0


def send_alert(config, title: str, details: dict) -> bool:
    """POST {title, details, env, at} to the configured webhook; True when it answered 2xx."""
    secret = config.alerts.webhook_url
    url = secret.get_secret_value().strip() if secret is not None else ""
    if not url:
        return False
    body = json.dumps({"source": "mmp", "env": config.env, "title": title, "details": details,
                       "at": datetime.now(UTC).isoformat(timespec="seconds")}, default=str).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310 - configured by the operator
            return 200 <= response.status < 300
    except (OSError, ValueError) as exc:
        log.warning("alert %r not delivered: %s", title, type(exc).__name__)
        return False
