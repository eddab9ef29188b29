-- The phone's duplicate hints (issue 14): central's rotating key for the keyed
-- hashes it sends with the sync pull, and the hint flag a record arrives with.

-- The newest row not retired is current; retired keys are kept (id, dates) so
-- an old filter can be named, never used. secret: 32 random bytes, hex.
CREATE TABLE hint_keys (
    key_id       TEXT PRIMARY KEY,
    secret       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    active_count BIGINT NOT NULL,
    retired_at   TEXT
);

-- 'nik', 'name_birth' or 'nik,name_birth': the phone warned "maybe already
-- registered" and the enumerator saved anyway; the likely-duplicate queue shows
-- these first.
ALTER TABLE records ADD COLUMN possible_duplicate TEXT;
