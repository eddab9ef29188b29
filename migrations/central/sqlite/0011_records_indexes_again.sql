-- 0004 changed records by rebuilding the table, and SQLite drops a table's indexes
-- with it: the two that 0003 made were lost (PostgreSQL, altered in place, kept
-- them). Without them the dashboard's week chart (received_at) and the
-- per-enumerator quality table (kelurahan_code, enumerator) read every record.
-- tests/central/test_migrations_match.py now compares the indexes too.
CREATE INDEX IF NOT EXISTS records_received_at ON records(received_at);
CREATE INDEX IF NOT EXISTS records_kelurahan_enumerator ON records(kelurahan_code, enumerator);
