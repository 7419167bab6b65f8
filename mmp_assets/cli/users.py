"""`mmp users add|grant|list`: the tracking server's users under `mlflow.auth: basic` (thin wrappers over
mmp_resources.users, itself MLflow's `AuthServiceClient`). Run as the MLflow admin: MLFLOW_AUTH_ADMIN_USERNAME /
MLFLOW_AUTH_ADMIN_PASSWORD. A password is never an argument (argv shows in `ps` and shell history)."""

from __future__ import annotations

import argparse
import os
import sys

NEW_PASSWORD_ENV = "MMP_NEW_USER_PASSWORD"
PERMISSION_CHOICES = ("READ", "USE", "EDIT", "MANAGE", "NO_PERMISSIONS")  # mirrors mmp_resources.users.PERMISSIONS


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("users", help="MLflow auth users (dev/prod, mlflow.auth: basic): add, grant, list")
    cmds = parser.add_subparsers(dest="users_command", metavar="<action>", required=True)
    add = cmds.add_parser("add", help=f"create a user; the password comes from {NEW_PASSWORD_ENV} or a prompt, never argv")
    add.add_argument("username")
    add.set_defaults(func=_add)
    grant = cmds.add_parser("grant", help="set a user's permission on a registered model (or, with --prompt, a prompt)")
    grant.add_argument("username")
    grant.add_argument("name", help="registered model (a recipe's name) or, with --prompt, prompt name")
    grant.add_argument("permission", choices=PERMISSION_CHOICES,
                       help="EDIT or MANAGE may approve, promote and roll back; READ (the default) may not")
    grant.add_argument("--prompt", action="store_true", help="NAME is a prompt (MLflow keeps prompt grants apart from models')")
    grant.set_defaults(func=_grant)
    cmds.add_parser("list", help="every user, admin flag and direct grants").set_defaults(func=_list)


def _admin():
    from mmp_resources import load_config, project_root
    from mmp_resources.users import UserAdmin

    return UserAdmin(load_config(project_root()))


def _new_password(username: str) -> str | None:
    password = os.environ.get(NEW_PASSWORD_ENV)
    if password:
        return password
    if not sys.stdin.isatty():
        print(f"mmp users add {username}: no password; set {NEW_PASSWORD_ENV} or run it in a terminal to be asked", file=sys.stderr)
        return None
    import getpass

    first = getpass.getpass(f"password for {username}: ")
    if not first or first != getpass.getpass("again: "):
        print(f"mmp users add {username}: the passwords were empty or did not match; nothing created", file=sys.stderr)
        return None
    return first


def _add(args: argparse.Namespace) -> int:
    from mmp_resources.users import UsersUnavailable

    password = _new_password(args.username)
    if password is None:
        return 2
    try:
        _admin().add(args.username, password)
    except UsersUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"user {args.username} created (READ on everything until granted more: mmp users grant {args.username} <model> EDIT)")
    return 0


def _grant(args: argparse.Namespace) -> int:
    from mmp_resources.users import UsersUnavailable

    kind = "prompt" if args.prompt else "registered_model"
    if args.prompt and args.permission == "NO_PERMISSIONS":
        print("mmp users grant --prompt: NO_PERMISSIONS is no prompt grant; allowed: READ, USE, EDIT, MANAGE "
              "(take a grant back in the MLflow UI's admin pages)", file=sys.stderr)
        return 2
    try:
        now = _admin().grant(args.username, kind, args.name, args.permission)
    except UsersUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"{args.username}: {now} on {kind.replace('_', ' ')} {args.name}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from mmp_resources.users import UsersUnavailable

    try:
        users = _admin().list()
    except UsersUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    for user in users:
        grants = ", ".join(f"{kind} {name}: {permission}" for kind, name, permission in user.grants) or "-"
        print(f"{user.username:<20} {'admin' if user.is_admin else 'user':<6} {grants}")
    return 0
