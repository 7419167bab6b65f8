"""The tracking server's users and their permissions, managed through MLflow's own `AuthServiceClient`.

Under `mlflow.auth: basic` an admin adds team members and grants them EDIT or MANAGE on the registered
models and prompts they may approve. Every call is made with the admin's credentials, which come only
from the environment: `MLFLOW_AUTH_ADMIN_USERNAME` (default `admin`) and `MLFLOW_AUTH_ADMIN_PASSWORD`,
the same variables the server reads to create its first admin. They are handed to MLflow's client for
the duration of one call and never printed; a new user's password is passed to MLflow and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mmp_resources.identity import PASSWORD_ENV, USERNAME_ENV
from mmp_resources.settings import PlatformConfig

ADMIN_USERNAME_ENV, ADMIN_PASSWORD_ENV = "MLFLOW_AUTH_ADMIN_USERNAME", "MLFLOW_AUTH_ADMIN_PASSWORD"
PERMISSIONS = ("READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS")  # the auth app's levels (mlflow.server.auth.permissions)
RESOURCE_TYPES = ("registered_model", "prompt")
WORKSPACE = "default"  # the auth app's workspace when workspaces are off (MLFLOW_ENABLE_WORKSPACES unset)


class UsersUnavailable(Exception):
    """The user store cannot be managed from here (auth off, no admin credentials, server refused); one line."""


@dataclass(frozen=True)
class UserInfo:
    username: str
    is_admin: bool
    grants: tuple[tuple[str, str, str], ...]  # (resource type, resource name or pattern, permission)


class UserAdmin:
    """Add users, grant permissions and list both on the env's tracking server, as its admin."""

    def __init__(self, config: PlatformConfig):
        self.config = config

    def add(self, username: str, password: str) -> None:
        with self._client() as client:
            client.create_user(username, password)

    def grant(self, username: str, resource_type: str, name: str, permission: str) -> str:
        """Give `username` `permission` on one registered model or prompt; returns the permission now granted.

        A registered model through the per-user grant API. A prompt through a role (`prompt <name> <PERMISSION>`,
        workspace `default`, made once and reused) holding that one grant, assigned to the user: MLflow 3.17.2's
        per-user API refuses resource type `prompt`, its roles API does not."""
        with self._client() as client:
            if resource_type == "registered_model":
                client.grant_user_permission(username, resource_type, name, permission)
                return client.get_user_permission(username, resource_type, name).permission
            role_name = f"prompt {name} {permission}"
            role = next((r for r in client.list_roles(WORKSPACE) if r.name == role_name), None)
            if role is None:
                role = client.create_role(WORKSPACE, role_name, description=f"{permission} on prompt {name} (mmp users grant)")
                client.add_role_permission(role.id, "prompt", name, permission)
            if role.id not in {r.id for r in client.list_user_roles(username)}:
                client.assign_role(username, role.id)
            return permission

    def list(self) -> list[UserInfo]:
        """Every user with their direct grants. The client has no call for either listing (3.17.2), so these two go
        through MLflow's own REST helper with the same credentials the client uses."""
        from mlflow.server.auth.routes import LIST_USER_PERMISSIONS, LIST_USERS
        from mlflow.utils.credentials import get_default_host_creds
        from mlflow.utils.rest_utils import http_request, verify_rest_response

        found = []
        with self._client() as client:
            creds = get_default_host_creds(client.tracking_uri)
            users = verify_rest_response(http_request(creds, LIST_USERS, "GET"), LIST_USERS).json()["users"]
            for user in sorted(users, key=lambda u: u["username"]):
                response = http_request(creds, LIST_USER_PERMISSIONS, "GET", params={"username": user["username"]})
                rows = verify_rest_response(response, LIST_USER_PERMISSIONS).json().get("permissions", [])
                grants = tuple(sorted((r["resource_type"], r["resource_pattern"], r["permission"]) for r in rows))
                found.append(UserInfo(user["username"], bool(user.get("is_admin")), grants))
        return found

    @contextmanager
    def _client(self) -> Iterator:
        """MLflow's `AuthServiceClient` reading the admin's credentials (it reads MLFLOW_TRACKING_*; those are restored after)."""
        from mlflow.exceptions import MlflowException
        from mlflow.server import get_app_client

        if self.config.mlflow.auth != "basic":
            raise UsersUnavailable(f"config/{self.config.env}.yaml: mlflow.auth is {self.config.mlflow.auth!r}; the tracking server "
                                   "has users only with auth: basic (the embedded default's identity is MMP_USER or the OS user)")
        admin, password = os.environ.get(ADMIN_USERNAME_ENV) or "admin", os.environ.get(ADMIN_PASSWORD_ENV)
        if not password:
            raise UsersUnavailable(f"{ADMIN_PASSWORD_ENV} is not set; managing users needs the MLflow admin's credentials "
                                   f"({ADMIN_USERNAME_ENV}, default admin, and {ADMIN_PASSWORD_ENV})")
        saved = {key: os.environ.get(key) for key in (USERNAME_ENV, PASSWORD_ENV)}
        os.environ[USERNAME_ENV], os.environ[PASSWORD_ENV] = admin, password
        try:
            yield get_app_client("basic-auth", tracking_uri=self.config.tracking_uri)
        except MlflowException as exc:  # the server's answer (taken username, not an admin, unknown user): its first line
            message = str(exc.message if hasattr(exc, "message") else exc).strip().splitlines()[0]
            raise UsersUnavailable(f"the tracking server refused as {admin!r}: {message}") from None
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
