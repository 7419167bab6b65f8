"""Optuna study storage: in memory, a resumable journal file, or a shared RDB."""

from __future__ import annotations

from pathlib import Path

import optuna
from optuna.storages import JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend

from mmp_resources.base import PlatformResource


class StudyStorageResource(PlatformResource):
    """Hands out the environment's Optuna storage and the caps on search budget."""

    @property
    def kind(self) -> str:
        url = self.config.optuna_storage
        return "memory" if url == "memory" else "journal" if url.startswith("journal:") else "rdb"

    def storage(self) -> optuna.storages.BaseStorage | None:
        """None means in-memory (Optuna's default)."""
        url = self.config.optuna_storage
        if url == "memory":
            return None
        if url.startswith("journal:"):
            path = Path(url.removeprefix("journal:"))
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path)))
        return RDBStorage(url, heartbeat_interval=30, grace_period=120)
