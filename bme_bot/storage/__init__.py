"""Session stores: memory (tests, console), SQLite (embedded default), Redis (replicas)."""

from bme_bot.storage.base import (
    DuplicateUpdateError,
    StaleWriteError,
    Store,
    Stored,
    StoreError,
    run_purger,
)
from bme_bot.storage.url import open_store, redact

__all__ = [
    "DuplicateUpdateError",
    "StaleWriteError",
    "Store",
    "StoreError",
    "Stored",
    "open_store",
    "redact",
    "run_purger",
]
