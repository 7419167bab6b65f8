"""Optuna study storage: in memory, a resumable journal file, or a shared RDB."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mmp_resources.base import PlatformResource

if TYPE_CHECKING:  # Optuna loads when a search asks for its storage, not when the definitions load
    import optuna


class StudyStorageResource(PlatformResource):
    """Hands out the environment's Optuna storage and the caps on search budget."""

    @property
    def kind(self) -> str:
        url = self.config.optuna_storage
        return "memory" if url == "memory" else "journal" if url.startswith("journal:") else "rdb"

    def storage(self) -> optuna.storages.BaseStorage | None:
        """None means in-memory (Optuna's default)."""
        from optuna.storages import JournalStorage, RDBStorage
        from optuna.storages.journal import JournalFileBackend

        url = self.config.optuna_storage
        if url == "memory":
            return None
        if url.startswith("journal:"):
            path = Path(url.removeprefix("journal:"))
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path)))
        return _rdb_storage(url)


# Any fixed 64-bit number: the PostgreSQL advisory lock mmp holds while Optuna creates its tables.
_SCHEMA_LOCK = 0x6D6D705F6F707475


def _rdb_storage(url: str) -> optuna.storages.RDBStorage:
    """Optuna's RDB storage. On PostgreSQL its first construction creates the schema, and two processes
    doing that at once (two Celery workers starting a model each) collide on a duplicate type; an
    advisory lock makes them take turns, and the second finds the schema made."""
    import sqlalchemy as sa
    from optuna.storages import RDBStorage

    if not url.startswith(("postgresql", "postgres")):
        return RDBStorage(url, heartbeat_interval=30, grace_period=120)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _SCHEMA_LOCK})
            try:
                return RDBStorage(url, heartbeat_interval=30, grace_period=120)
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _SCHEMA_LOCK})
    finally:
        engine.dispose()
