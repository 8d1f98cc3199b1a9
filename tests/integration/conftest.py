"""A real Celery worker process for integration tests.

The worker is a separate process that opens the same test database (pytest-django's, made a
file for SQLite in ``config/settings/test.py``) and the same broker (the private filesystem
folder of this test run, or the Redis URL in ``CELERY_BROKER_URL``). Tests that use it must use
``transactional_db``: the worker only sees committed rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery import CeleryQueue

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


def database_url(settings_dict: dict[str, Any]) -> str:
    """The URL of the database ``settings_dict`` names, in the form ``DATABASE_URL`` takes."""
    engine = settings_dict["ENGINE"]
    if engine == "core.sqlite":
        name = str(settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("the SQLite test database must be a file to share it with a worker")
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "core.postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "localhost"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return f"postgres://{auth}{host}{port}/{quote(settings_dict['NAME'], safe='')}"
    raise RuntimeError(f"no DATABASE_URL form for {engine}")


class Worker:
    """A running ``celery -A config worker`` subprocess and its log file."""

    def __init__(self, process: subprocess.Popen[bytes], log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()  # warm shutdown: finishes the running task, then exits
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_worker(log_dir: Path) -> Worker:
    """Start a worker on every queue, on this test run's database and broker; wait until ready."""
    log_path = log_dir / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
    }
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        env["FINEGRAIN_BROKER_DIR"] = str(settings.BROKER_DIR)
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--queues", ",".join(CeleryQueue),
        "--concurrency", "1",
        "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        # Drop what earlier tests enqueued (e.g. via captured on-commit callbacks): those
        # messages name rows that no longer exist.
        "--purge",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    worker = Worker(process, log_path)
    deadline = time.monotonic() + READY_TIMEOUT_S
    while " ready." not in worker.log():
        if process.poll() is not None:
            pytest.fail(f"celery worker exited with {process.returncode}:\n{worker.log()}")
        if time.monotonic() > deadline:
            worker.stop()
            pytest.fail(f"celery worker not ready after {READY_TIMEOUT_S}s:\n{worker.log()}")
        time.sleep(0.2)
    return worker


class _Shared:
    """The session's one worker. Other test packages import the fixture into their own
    conftest, which makes pytest register one session fixture per import; they all share this
    worker, and the last one to finish stops it."""

    worker: Worker | None = None
    users = 0


@pytest.fixture(scope="session")
def celery_worker(
    django_db_setup: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Worker]:
    """A real worker process for the whole session; tests using it need ``transactional_db``.

    Session-scoped: the test database name does not change between tests, and starting a
    worker costs seconds. It stops before pytest-django drops the test database (it depends
    on ``django_db_setup``), so PostgreSQL has no open connection to the dropped database.
    """
    if _Shared.worker is None or _Shared.worker.process.poll() is not None:
        _Shared.worker = start_worker(tmp_path_factory.mktemp("celery-worker"))
    _Shared.users += 1
    try:
        yield _Shared.worker
    finally:
        _Shared.users -= 1
        if _Shared.users == 0 and _Shared.worker is not None:
            _Shared.worker.stop()
            _Shared.worker = None
