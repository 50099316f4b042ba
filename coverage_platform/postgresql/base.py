"""Django's PostgreSQL backend, with a health check that sends nothing.

With ``CONN_HEALTH_CHECKS`` Django asks a kept connection ``SELECT 1`` before the first
query of every request: on a webhook, one round trip in six. An idle connection never has
anything to read, so the socket says the same for free: readable means the server closed
it or is closing it (a restart, an idle timeout, ``pg_terminate_backend``) and Django
reconnects. A connection that vanished without a word (a dead host) is caught by neither
check until its next query fails.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq

from coverage_platform.postgresql.schema import DatabaseSchemaEditor


class DatabaseWrapper(base.DatabaseWrapper):
    # Foreign keys between tenant tables include the organisation (schema.py).
    SchemaEditorClass = DatabaseSchemaEditor

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return bool(super().is_usable())
        readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
        return not readable
