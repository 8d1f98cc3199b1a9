"""SQLite with a write queue that wakes writers at once.

SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps in
steps of up to 100 ms and polls. Under 8 concurrent saves that sleeping, not the work, set
the pace (~50 saves/s). Here every transaction first takes an exclusive ``flock`` on a file
beside the database, polling it every 0.2-2 ms (a try is one system call), so the next writer
goes in within a couple of milliseconds of the last commit. After the connection's timeout
(``OPTIONS["timeout"]``) a waiter gives up with "database is locked", as SQLite would. A
process that dies drops its lock with its file descriptor.

Only ``atomic`` blocks (``BEGIN IMMEDIATE`` transactions) take the lock; single autocommit
statements still rely on SQLite's busy timeout. In-memory databases need no lock.
"""

from __future__ import annotations

import fcntl
import time
from typing import IO, Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _write_lock: IO[bytes] | None = None
    _write_locked = False

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        connection = super().get_new_connection(conn_params)
        if self._write_lock is None and not self.is_in_memory_db():
            self._write_lock = open(f"{self.settings_dict['NAME']}-writelock", "ab")  # noqa: SIM115 - closed in _close
        return connection

    def _start_transaction_under_autocommit(self) -> None:
        if self._write_lock is not None:
            self._acquire_write_lock()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private, not in django-stubs
        except BaseException:
            self._release_write_lock()
            raise

    def _acquire_write_lock(self) -> None:
        assert self._write_lock is not None
        deadline = time.monotonic() + float(self.settings_dict["OPTIONS"].get("timeout", 5))
        pause = 0.0002
        while True:
            try:
                fcntl.flock(self._write_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError("database is locked (write queue)") from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
            else:
                self._write_locked = True
                return

    def _release_write_lock(self) -> None:
        if self._write_locked and self._write_lock is not None:
            self._write_locked = False
            fcntl.flock(self._write_lock, fcntl.LOCK_UN)

    def _commit(self) -> Any:
        try:
            return super()._commit()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release_write_lock()

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release_write_lock()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]  # private, not in django-stubs
        finally:
            self._release_write_lock()
            if self._write_lock is not None:
                self._write_lock.close()
                self._write_lock = None
