"""core.sqlite: transactions queue on a file lock instead of SQLite's sleeping busy handler.

Runs on its own database file whatever backend the suite uses, through the same wrapper
that the embedded default configures (``ENGINE = "core.sqlite"``).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from core.sqlite.base import DatabaseWrapper


def wrapper(path: Path, timeout: float = 5) -> Any:
    settings = {
        "ENGINE": "core.sqlite",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
        "TIME_ZONE": None,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    db = DatabaseWrapper(settings, alias=f"queue-{path.name}-{time.monotonic_ns()}")
    db.ensure_connection()
    return db


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker: Any) -> Any:
    """These wrappers open their own file, never the suite's database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "queue.sqlite3"
    db = wrapper(path)
    db.cursor().execute("CREATE TABLE t (n INTEGER)")
    db.close()
    return path


def begin(db: Any) -> None:
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(db: Any, commit: bool = True) -> None:
    db.commit() if commit else db.rollback()
    db.set_autocommit(True)


def test_a_second_writer_goes_in_right_after_the_first_commits(db_file: Path) -> None:
    first = wrapper(db_file)
    begin(first)
    first.cursor().execute("INSERT INTO t VALUES (1)")
    entered: list[float] = []

    def write() -> None:
        second = wrapper(db_file)  # a connection belongs to its thread
        begin(second)  # waits for the lock
        entered.append(time.monotonic())
        second.cursor().execute("INSERT INTO t VALUES (2)")
        end(second)
        second.close()

    thread = threading.Thread(target=write)
    thread.start()
    time.sleep(0.3)
    assert entered == []  # still queued behind the first transaction
    committed = time.monotonic()
    end(first)
    thread.join(5)
    assert len(entered) == 1
    assert entered[0] - committed < 0.05  # SQLite's own busy handler sleeps up to 100 ms
    rows = first.cursor().execute("SELECT n FROM t ORDER BY n").fetchall()
    assert [r[0] for r in rows] == [1, 2]
    first.close()


def test_rollback_and_close_release_the_lock(db_file: Path) -> None:
    first, second = wrapper(db_file, timeout=0.5), wrapper(db_file, timeout=0.5)
    begin(first)
    end(first, commit=False)
    begin(second)  # would time out if the rollback had kept the lock
    end(second)
    begin(first)
    first.close()  # a connection closed mid-transaction drops the lock
    begin(second)
    end(second)
    second.close()


def test_a_writer_gives_up_after_the_timeout_with_database_locked(db_file: Path) -> None:
    holder, waiter = wrapper(db_file), wrapper(db_file, timeout=0.3)
    begin(holder)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        begin(waiter)
    assert 0.3 <= time.monotonic() - started < 2
    end(holder)
    waiter.set_autocommit(True)
    begin(waiter)  # the failed attempt left nothing behind
    end(waiter)
    holder.close()
    waiter.close()
