"""central.storage.db.migrate on a PostgreSQL database already up to date (every
start of central): it answers from one query, without the migration lock a
``central migrate`` elsewhere may be holding."""

from __future__ import annotations

from contextlib import closing

import pytest

from central.storage.db import INGEST_LOCK_KEY, Database, migrate


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_up_to_date_database_is_not_locked_for_migrating(migrated_database_url):
    with closing(Database(migrated_database_url)) as holder, \
            closing(Database(migrated_database_url)) as starting:
        holder.run("SELECT pg_advisory_lock(?)", (INGEST_LOCK_KEY + 1,))  # a migrate elsewhere
        starting.run("SET lock_timeout = '2s'")
        assert migrate(starting) == []
        holder.run("SELECT pg_advisory_unlock(?)", (INGEST_LOCK_KEY + 1,))
