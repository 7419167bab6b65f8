"""Keeping credentials out of files and messages: find a URL with a password, mask one in text.

A connection URL with a password belongs in an environment variable (the house rule). A recipe
holding one is refused before it is parsed any further, so no later error can echo it, and any
text a database driver returns is masked before it is shown, because drivers quote the URL
they failed to reach.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

# scheme://user:password@ — the password is what must never be written down
CREDENTIAL_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<user>[^\s:/@'\"]*):(?P<password>[^\s@/'\"]+)@")


def credential_fields(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(dotted field, masked URL start) for every string in a parsed YAML tree that holds a password."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += credential_fields(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += credential_fields(item, f"{path}[{i}]")
    elif isinstance(value, str) and (match := CREDENTIAL_URL.search(value)):
        found.append((path, f"{match['scheme']}://{match['user']}:***@..."))
    return found


def mask(text: str, *secrets: str) -> str:
    """`text` with the password of every URL in it and in `secrets` replaced by ***, and every other
    secret (a token, a key=value connection string) replaced whole."""
    for secret in secrets:
        credential = CREDENTIAL_URL.search(secret or "")
        if credential is None:
            text = text.replace(secret, "***") if secret else text
            continue
        for form in {credential["password"], unquote(credential["password"])}:
            if len(form) >= 3:  # a one- or two-character "password" would garble the message instead
                text = text.replace(form, "***")
    return CREDENTIAL_URL.sub(lambda m: f"{m['scheme']}://{m['user']}:***@", text)
