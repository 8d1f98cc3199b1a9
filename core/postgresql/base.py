"""PostgreSQL with a health check that costs no round trip.

Django's ``CONN_HEALTH_CHECKS`` runs ``SELECT 1`` before the first query of every request
that reuses a persistent connection: one of the ~10 round trips of a save. Here an idle
connection is checked by looking at its socket instead. Between requests nothing is in
flight, so the server has no reason to write: a readable socket means it has closed the
connection (restart, ``pg_terminate_backend``, idle timeout — it sends an error and closes)
or the socket is gone; either way the connection is dropped and a new one opened before the
request's first query, as with ``SELECT 1``. A connection inside a transaction, or one
psycopg already knows to be broken, gets Django's own check.

What this cannot see, ``SELECT 1`` would only see by hanging: a peer that vanished without
closing (a network partition); the query then fails and Django discards the connection at
the end of the request.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != connection.info.transaction_status.IDLE:
            return super().is_usable()
        # poll, not select: select() cannot watch descriptors above 1023.
        poller = select.poll()
        try:
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False
