"""All-or-nothing writes that survive a race with another writer.

On the DuckDB file one process writes at a time, so a transaction never meets a concurrent one.
On DuckLake many processes commit at once: DuckLake itself retries a commit that touched nothing
another commit touched, but two transactions that delete from (or update) the same small catalog
table, say two recipes moving their current pointers in `mmp_current`, are a logical conflict it
hands back. The whole transaction is then rolled back and run again on the newer snapshot, which
is safe because every transaction here rereads what it depends on.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

T = TypeVar("T")
ATTEMPTS = 30
FIRST_WAIT_S = 0.05
MAX_WAIT_S = 2.0


def is_conflict(exc: BaseException) -> bool:
    """A DuckLake commit that lost a race: worth running again, unlike any other error."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def in_transaction(conn: duckdb.DuckDBPyConnection, work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """Run `work` between BEGIN and COMMIT; roll back on any error, and start over on a write conflict."""
    for attempt in range(1, attempts + 1):
        conn.execute("BEGIN TRANSACTION")
        try:
            result = work()
            conn.execute("COMMIT")
            return result
        except BaseException as exc:
            _rollback(conn)
            if not is_conflict(exc) or attempt == attempts:
                raise
        # jittered exponential back-off: writers that collided do not collide again in lockstep
        time.sleep(min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")  # the loop returns or raises


def _rollback(conn: duckdb.DuckDBPyConnection) -> None:
    """A failed COMMIT has already ended the transaction; a failure before it has not."""
    try:
        conn.execute("ROLLBACK")
    except duckdb.TransactionException:
        pass
