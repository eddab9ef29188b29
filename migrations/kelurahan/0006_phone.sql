-- The phone, round 2 (issue 14): city-wide duplicate hints, the hint flag on a
-- record, audited index fetches (also the rate limit's count), receipt lookups.

-- Central's hint key, as received with the sync pull (the newest row is current).
CREATE TABLE hint_keys (
    key_id      TEXT PRIMARY KEY,
    secret      BLOB NOT NULL,
    created_at  TEXT NOT NULL,                    -- at central
    received_at TEXT NOT NULL
);

-- Keyed hashes central sent (16 bytes per record: NIK item then name+birth item),
-- grouped per page and kelurahan; never a NIK, name or date.
CREATE TABLE hint_hashes (
    id             INTEGER PRIMARY KEY,
    key_id         TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    hashes         BLOB NOT NULL
);
CREATE INDEX hint_hashes_key ON hint_hashes(key_id, kelurahan_code);

-- A record saved despite a hint: 'nik', 'name_birth' or 'nik,name_birth'.
ALTER TABLE enrollments ADD COLUMN possible_duplicate TEXT;

-- Who fetched the duplicate index / key, when, with which key: the audit of what
-- left for phones, and the count behind the fetch rate limit.
CREATE TABLE field_index_fetches (
    id        INTEGER PRIMARY KEY,
    username  TEXT NOT NULL,
    what      TEXT NOT NULL,                      -- 'index' or 'key'
    key_id    TEXT NOT NULL,
    at        TEXT NOT NULL,
    address   TEXT
);
CREATE INDEX field_index_fetches_user ON field_index_fetches(username, at);

-- Receipt status lookups (rate limit per address).
CREATE TABLE receipt_lookups (
    id       INTEGER PRIMARY KEY,
    address  TEXT NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX receipt_lookups_address ON receipt_lookups(address, at);
