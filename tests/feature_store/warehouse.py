"""A private PostgreSQL database on the shared server, reached through a URL that carries a password.

The server trusts local connections, so the password is never checked, but it is in the URL the
way a real warehouse's would be: tests scan every log, error and record for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from mmp_resources.sandbox import PG_SERVER

URL_ENV = "MMP_TEST_WAREHOUSE_URL"


@dataclass
class Warehouse:
    url: str
    password: str

    def execute(self, *statements: str) -> None:
        import psycopg2

        parsed = make_url(self.url)
        conn = psycopg2.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                                password=parsed.password, dbname=parsed.database)
        try:
            with conn, conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
        finally:
            conn.close()


def _admin(statement) -> None:
    import psycopg2

    server = make_url(PG_SERVER + "/postgres")
    conn = psycopg2.connect(host=server.host, port=server.port or 5432, user=server.username, password=server.password, dbname="postgres")
    conn.autocommit = True  # CREATE / DROP DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


@contextmanager
def private_warehouse() -> Iterator[Warehouse]:
    """A fresh database, dropped afterwards; its URL has a password that is easy to search for."""
    from psycopg2 import sql

    name = f"mmp_t{uuid.uuid4().hex[:10]}_wh"
    server = make_url(PG_SERVER)
    password = server.password or f"Pw-{uuid.uuid4().hex[:12]}-secret"
    url = server.set(password=password, database=name).render_as_string(hide_password=False)
    _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield Warehouse(url=url, password=password)
    finally:
        _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
