"""core.postgresql: a persistent connection the server closed is replaced before the next
request's first query, and a healthy one is kept, without a ``SELECT 1`` round trip.

On the PostgreSQL pass this runs on the suite's own connection: another session terminates
its backend (what a server restart does to every connection). On the embedded pass it checks
that a PostgreSQL ``DATABASE_URL`` selects this backend with health checks on.
"""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import connection

from config.settings.base import database_config


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def first_query_of_a_request() -> int:
    """What a new request does: health check armed, then its first query."""
    connection.health_check_done = False
    return backend_pid()


@pytest.mark.django_db(transaction=True)
def test_terminated_connection_is_replaced_and_healthy_one_kept(monkeypatch):
    if connection.vendor != "postgresql":
        monkeypatch.setenv("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/finegrain")
        config = database_config()
        assert config["ENGINE"] == "core.postgresql"
        assert config["CONN_HEALTH_CHECKS"] is True
        return
    assert connection.health_check_enabled
    pid = backend_pid()

    def no_queries(*args, **kwargs):
        raise AssertionError("the health check of an idle connection sent a query")

    with monkeypatch.context() as patch:
        patch.setattr(connection.connection, "cursor", no_queries)
        patch.setattr(connection.connection, "execute", no_queries)
        assert connection.is_usable()
    assert first_query_of_a_request() == pid  # a healthy connection is kept

    params = connection.get_connection_params()
    params.pop("server_side_binding", None)
    params.pop("prepare_threshold", None)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        assert other.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not connection.is_usable()

    new_pid = first_query_of_a_request()  # no error: the dead connection was replaced
    assert new_pid != pid
    assert connection.is_usable()
