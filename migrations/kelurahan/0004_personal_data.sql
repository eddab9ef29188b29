-- Personal data (issue 12, docs/privacy.md): personal values of the audit trail
-- kept outside the hash chain (the chain holds keyed tags), and the erasures made
-- here or at central (by keyed pseudonym, never the NIK), queued for central.

-- One row per personal field of an audit entry; erasure deletes a record's rows.
-- The chain (audit_log) only ever covered the HMAC tags of these values.
CREATE TABLE audit_values (
    seq        INTEGER NOT NULL REFERENCES audit_log(seq),
    record_id  TEXT,
    field      TEXT NOT NULL,
    old_value  TEXT,                             -- JSON
    new_value  TEXT,                             -- JSON
    PRIMARY KEY (seq, field)
);
CREATE INDEX audit_values_record ON audit_values(record_id);

-- Erased records: the record id (a random UUID), the NIK's keyed pseudonym
-- (HMAC-SHA256 with the data folder's key; nothing beside it narrows a guess),
-- who, when, why, where the request came from, and whether central has it.
CREATE TABLE privacy_erasures (
    id          INTEGER PRIMARY KEY,
    record_id   TEXT NOT NULL UNIQUE,
    pseudonym   TEXT NOT NULL,
    erased_at   TEXT NOT NULL,
    erased_by   TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('kelurahan', 'central')),
    reason      TEXT,
    sent_at     TEXT,                            -- NULL: central has not confirmed it yet
    central_result TEXT
);
CREATE INDEX privacy_erasures_pseudonym ON privacy_erasures(pseudonym);
CREATE INDEX privacy_erasures_unsent ON privacy_erasures(sent_at);
