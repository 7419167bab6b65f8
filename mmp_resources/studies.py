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
        return RDBStorage(url, heartbeat_interval=30, grace_period=120)
