-- SQLite's 0004 rebuilt records and lost the two indexes 0003 made; its 0011 makes
-- them again. PostgreSQL altered the table in place and kept them: this is the same
-- version, a no-op here, so both folders stay in step.
CREATE INDEX IF NOT EXISTS records_received_at ON records(received_at);
CREATE INDEX IF NOT EXISTS records_kelurahan_enumerator ON records(kelurahan_code, enumerator);
