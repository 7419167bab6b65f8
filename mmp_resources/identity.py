"""Who is acting: the tracking server's authenticated user under MLflow auth, else the OS user.

With `mlflow.auth: basic` (the tracking server runs `mlflow server --app-name basic-auth`) the identity
is the user whose credentials are in `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` (the
MLflow client sends the same ones), verified against the server (`GET /api/2.0/mlflow/users/current`).
A name typed on the command line is never an identity there. The password is sent to the server and
nowhere else: it is in no message, log line or audit entry.

In the embedded default (`mlflow.auth: none`) the identity is `MMP_USER` or the OS user: anyone can
set either, so four-eyes there is a guard against accidents, not against a determined user.
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from mmp_resources.audit_log import Refused, current_user
from mmp_resources.settings import PlatformConfig

USERNAME_ENV, PASSWORD_ENV = "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"
APPROVING_PERMISSIONS = ("EDIT", "MANAGE")  # the auth app's levels that may change a registered model or a prompt


class IdentityRefused(Refused):
    """The acting user cannot be established (missing or rejected credentials, unreachable server)."""


@dataclass(frozen=True)
class Identity:
    """The acting user: `name`, and where it comes from (`mlflow basic-auth` when the server verified it)."""

    name: str
    source: str  # mlflow basic-auth | MMP_USER | OS user

    @property
    def authenticated(self) -> bool:
        return self.source == "mlflow basic-auth"


def acting_identity(config: PlatformConfig) -> Identity:
    """The authenticated user under `mlflow.auth: basic`, else `MMP_USER` or the OS user."""
    if config.mlflow.auth != "basic":
        return Identity(current_user(), "MMP_USER" if os.environ.get("MMP_USER") else "OS user")
    username = os.environ.get(USERNAME_ENV, "")
    if not username or not os.environ.get(PASSWORD_ENV):
        missing = " and ".join(v for v in (USERNAME_ENV, PASSWORD_ENV) if not os.environ.get(v))
        raise IdentityRefused(f"config/{config.env}.yaml: mlflow.auth is basic but {missing} {'are' if ' and ' in missing else 'is'} not set; "
                              "export your own MLflow credentials (nobody acts by a typed name under auth)")
    body = _get(config, "/api/2.0/mlflow/users/current", {})
    found = (body.get("user") or {}).get("username")
    if found != username:  # the server answers for the credentials it checked; anything else is not this user
        raise IdentityRefused(f"the tracking server at {_base(config)} says these credentials belong to {found!r}, "
                              f"not {USERNAME_ENV}={username!r}")
    return Identity(username, "mlflow basic-auth")


def registered_model_permission(config: PlatformConfig, identity: Identity, name: str) -> str:
    """The auth app's permission of `identity` on registered model `name` (READ, EDIT, MANAGE, NO_PERMISSIONS, ...)."""
    return resource_permission(config, identity, "registered_model", name)


def prompt_permission(config: PlatformConfig, identity: Identity, name: str) -> str:
    """The strongest grant `identity` holds on prompt `name` (or on every prompt, `*`): MANAGE for an admin, DENY
    if any grant denies, "no grant" when none names it.

    MLflow 3 stores a prompt as a registered model with a prompt tag, but its auth app keeps prompt grants in a
    namespace of their own (resource type `prompt`): EDIT on a model of the same name does not reach the prompt.
    MLflow 3.17.2's per-user permission API refuses resource type `prompt`, so this reads the user's own grants
    (`/api/3.0/mlflow/users/current/permissions`, asked with their credentials) and takes the strongest; the
    server's default permission is not counted, so only an explicit grant lets a user approve.
    """
    body = _get(config, "/api/3.0/mlflow/users/current/permissions", {})
    if body.get("is_admin"):
        return "MANAGE"
    levels = {str(row.get("permission")) for row in body.get("permissions", [])
              if row.get("resource_type") == "prompt" and row.get("resource_pattern") in (name, "*")}
    if "DENY" in levels:
        return "DENY"
    return max(levels, key=_RANK.index) if levels & set(_RANK) else "no grant"


_RANK = ["READ", "USE", "EDIT", "MANAGE"]  # the auth app's positive levels, weakest first


def resource_permission(config: PlatformConfig, identity: Identity, resource_type: str, name: str) -> str:
    """The auth app's effective permission of `identity` on one resource, as the server would resolve it for a request."""
    query = {"username": identity.name, "resource_type": resource_type, "resource_id": name}
    return str(_get(config, "/api/3.0/mlflow/users/permissions/get", query).get("permission") or "NO_PERMISSIONS")


def unpermitted(identity: Identity, permission: str | None, resource_type: str, name: str, doing: str) -> str | None:
    """Why an authenticated user may not move an alias of `name` (their auth-app permission on it), or None."""
    if permission in APPROVING_PERMISSIONS:
        return None
    kind, flag = ("prompt", " --prompt") if resource_type == "prompt" else ("registered model", "")
    return (f"{identity.name} has {permission or 'NO_PERMISSIONS'} on {kind} {name}; {doing} needs "
            f"{' or '.join(APPROVING_PERMISSIONS)} (an MLflow admin grants it: mmp users grant {identity.name} {name} EDIT{flag})")


def _base(config: PlatformConfig) -> str:
    """The tracking server's URL without any user info: fit for a message."""
    parts = urllib.parse.urlsplit(config.tracking_uri)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def _get(config: PlatformConfig, path: str, query: dict[str, str]) -> dict:
    """GET `path` on the tracking server with the env's credentials; one line (never the password) on failure."""
    username, password = os.environ.get(USERNAME_ENV, ""), os.environ.get(PASSWORD_ENV, "")
    url = f"{_base(config)}{path}?{urllib.parse.urlencode(query)}" if query else f"{_base(config)}{path}"
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - the configured tracking server
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        if exc.code == 401:
            raise IdentityRefused(f"the tracking server at {_base(config)} rejected the credentials of "
                                  f"{USERNAME_ENV}={username!r} (HTTP 401); check your MLflow username and password") from None
        said = _message(exc)
        raise IdentityRefused(f"the tracking server at {_base(config)} answered HTTP {exc.code} to {path} for user "
                              f"{username!r}" + (f": {said}" if said else "; is it running with --app-name basic-auth?")) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise IdentityRefused(f"cannot verify user {username!r} against the tracking server at {_base(config)} "
                              f"({type(exc).__name__}); is it running?") from None


def _message(exc: urllib.error.HTTPError) -> str:
    """The first line of the server's JSON error `message` (never a credential: the server does not echo them)."""
    try:
        return str(json.loads(exc.read() or b"{}").get("message") or "").strip().splitlines()[0]
    except (ValueError, OSError, IndexError, AttributeError):
        return ""
