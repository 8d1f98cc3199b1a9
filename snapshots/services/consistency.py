"""One consistent read of the database for the whole snapshot, while others keep writing.

PostgreSQL: a ``REPEATABLE READ, READ ONLY`` transaction, so every query of the read sees
the database as of its first query. SQLite: one deferred read transaction (``BEGIN
DEFERRED``, not the project's default ``IMMEDIATE``, which would take the write lock and
stall annotators); in WAL mode a reader keeps the snapshot it started with while writers
commit, and ``PRAGMA query_only`` guards against writes on this connection.

Progress is written on a second connection (``ProgressWriter``) because the read
transaction cannot (PostgreSQL: read-only) or must not (SQLite: it would upgrade to the
write lock) write.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from snapshots.models import SnapshotJob


class _SQLiteConnection(Protocol):
    """What django-stubs lacks of Django's SQLite ``DatabaseWrapper`` (Django 5.1+)."""

    transaction_mode: str | None


@contextmanager
def consistent_read() -> Iterator[bool]:
    """Run the block in one snapshot transaction; yield whether this call owns it.

    Inside an enclosing ``atomic`` block (tests that wrap each test in a transaction) the
    enclosing transaction is the snapshot, and the isolation level is its own.
    """
    if connection.in_atomic_block:
        yield False
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Must be the transaction's first statement.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield True
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        sqlite = cast(_SQLiteConnection, connection)  # vendor == "sqlite"
        mode = sqlite.transaction_mode
        sqlite.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic():
                sqlite.transaction_mode = mode  # BEGIN is issued; restore at once
                with connection.cursor() as cursor:
                    cursor.execute("PRAGMA query_only = ON")
                try:
                    yield True
                finally:
                    with connection.cursor() as cursor:
                        cursor.execute("PRAGMA query_only = OFF")
        finally:
            sqlite.transaction_mode = mode
        return
    with transaction.atomic():
        yield True


class ProgressWriter:
    """Writes ``processed``/``total``/``heartbeat_at`` of a job at most every ``every_s``.

    With ``separate`` it uses a connection of its own in autocommit mode (see the module
    docstring); without, the current connection (when the read is not ours to own).
    """

    def __init__(self, job_id: int, *, separate: bool, every_s: float = 1.0) -> None:
        self.job_id = job_id
        self.every_s = every_s
        self.last = 0.0
        self.own = connections.create_connection(DEFAULT_DB_ALIAS) if separate else None
        self.table = connection.ops.quote_name(SnapshotJob._meta.db_table)

    def __call__(self, processed: int, total: int | None = None, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < self.every_s:
            return
        self.last = now
        db = self.own or connection
        stamp: Any = db.ops.adapt_datetimefield_value(timezone.now())
        sets, params = ["processed = %s", "heartbeat_at = %s"], [processed, stamp]
        if total is not None:
            sets.append("total = %s")
            params.append(total)
        with db.cursor() as cursor:
            cursor.execute(
                f"UPDATE {self.table} SET {', '.join(sets)} WHERE id = %s",  # noqa: S608
                [*params, self.job_id],
            )

    def close(self) -> None:
        if self.own is not None:
            self.own.close()
