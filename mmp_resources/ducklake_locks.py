"""One publisher per feature view, training set or predictions table at a time, across hosts.

Publishing a version reads the next version number, writes `<prefix>_<name>__v<N>` and then moves the
current pointer: three steps, several DuckLake transactions. DuckLake's own conflict detection guards each
transaction, not the sequence, so two runs publishing the same view at once would both pick N (the second's
`DROP TABLE IF EXISTS` of a half-written table could even drop the first's). The DuckDB file rules this
out with its one write lock; on DuckLake a PostgreSQL session advisory lock on the catalog database, keyed
by what is published, does: the second run waits, then publishes N+1 (or nothing, if its rows are the
same). The lock belongs to the session, so a run killed with `kill -9` releases it when PostgreSQL sees
the connection drop: at once when the process dies (its kernel closes the socket), and within about
a minute and a half when its whole host does (the session asks the server for TCP keepalives).
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mmp_resources.ducklake import CATALOG_FIELD, DuckLakeUnavailable, catalog_url, secret_parameters
from mmp_resources.secrets import mask
from mmp_resources.settings import PlatformConfig

if TYPE_CHECKING:
    import psycopg

CLEANUP = ("cleanup", "files")
# server-side TCP keepalives of the lock's session: a silent client is dropped after about 30 + 3 x 20 s
KEEPALIVE = {"tcp_keepalives_idle": "30", "tcp_keepalives_interval": "20", "tcp_keepalives_count": "3"}


class PublishInProgress(RuntimeError):
    """Another run held the publish lock for longer than `feature_store.ducklake.publish_wait_s`."""


def lock_key(kind: str, name: str) -> int:
    """A stable 63-bit key (hashlib, so every process on every host derives the same one)."""
    digest = hashlib.sha256(f"mmp-publish\0{kind}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


@dataclass
class PublishLock:
    """The held lock's session; it can also try for the catalog-wide cleanup lock without waiting."""

    session: psycopg.Connection

    def try_cleanup(self) -> bool:
        """True when this session now holds the cleanup lock (until it closes); False when another run is cleaning."""
        return bool(self.session.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(*CLEANUP),)).fetchone()[0])


def open_session(config: PlatformConfig, purpose: str) -> psycopg.Connection:
    """An autocommit session on the catalog database, named for `pg_stat_activity`; one masked line when unreachable."""
    import psycopg

    url = catalog_url(config)
    found = secret_parameters(url)
    timeout = config.feature_store.ducklake.connect_timeout_s
    try:
        return psycopg.connect(
            host=found.get("HOST"), port=found.get("PORT"), dbname=found.get("DATABASE"), user=found.get("USER"),
            password=found.get("PASSWORD"), connect_timeout=timeout, autocommit=True,
            application_name=f"mmp {purpose} (pid {os.getpid()} on {socket.gethostname()})"[:63],
        )
    except psycopg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        shown = mask(first, url, *([found["PASSWORD"]] if found.get("PASSWORD") else []))
        if "timeout expired" in first:
            shown += f" (no answer within feature_store.ducklake.connect_timeout_s = {timeout} s)"
        raise DuckLakeUnavailable(f"config/{config.env}.yaml: {CATALOG_FIELD}: cannot reach the catalog database: {shown}") from None


@contextmanager
def publish_lock(config: PlatformConfig, kind: str, name: str) -> Iterator[PublishLock]:
    """Hold the lock on publishing `kind` `name` for the block; refuse in one line after `publish_wait_s`."""
    import psycopg

    what = f"{kind.replace('_', ' ')} {name!r}"
    session = open_session(config, f"publish {kind} {name}")
    try:
        wait_s = config.feature_store.ducklake.publish_wait_s
        key = lock_key(kind, name)
        session.execute("SELECT set_config('lock_timeout', %s, false)", (f"{max(1, round(wait_s * 1000))}ms",))
        for setting, value in KEEPALIVE.items():  # the server notices a vanished host and drops its locks
            session.execute("SELECT set_config(%s, %s, false)", (setting, value))
        try:
            session.execute("SELECT pg_advisory_lock(%s)", (key,))
        except psycopg.errors.LockNotAvailable:
            holder = _holder(session, key)
            raise PublishInProgress(
                f"{what}: another run is publishing it ({holder}) and did not finish within "
                f"feature_store.ducklake.publish_wait_s = {wait_s:g} s; nothing was written, run again once it is done"
            ) from None
        yield PublishLock(session)
    finally:
        session.close()  # ends the session, which releases every advisory lock it held


def _holder(session: psycopg.Connection, key: int) -> str:
    """Who holds `key`, as its session named itself (pg_locks splits a bigint key into two 32-bit halves)."""
    row = session.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = %s AND l.objid::bigint = %s AND l.objsubid = 1",
        (key >> 32, key & 0xFFFFFFFF),
    ).fetchone()
    return row[0] if row and row[0] else "a session that has since ended"
