-- Personal data (issue 12, docs/privacy.md): a record erased at central keeps its
-- ids and status 'erased' (its personal fields wiped; it leaves every export and
-- the one-active-NIK index), and the erasures table is both the audit of each
-- erasure and the tombstone that refuses a later arrival of an erased record
-- (keyed by kelurahan and record id; the NIK only as a keyed HMAC pseudonym).

ALTER TABLE records DROP CONSTRAINT records_status_check;
ALTER TABLE records ADD CONSTRAINT records_status_check
    CHECK (status IN ('accepted', 'duplicate', 'rejected', 'registered', 'erased'));

CREATE TABLE erasures (
    id             BIGSERIAL PRIMARY KEY,
    kelurahan_code TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    central_id     BIGINT,                       -- NULL: erased before central received it
    pseudonym      TEXT,                        -- HMAC-SHA256(central key, NIK), when held
    origin         TEXT NOT NULL CHECK (origin IN ('kelurahan', 'central')),
    device_id      TEXT,                        -- the signing device (origin kelurahan)
    reason         TEXT,
    erased_by      TEXT NOT NULL,
    erased_at      TEXT NOT NULL,
    UNIQUE (kelurahan_code, record_id)
);
CREATE INDEX erasures_pseudonym ON erasures(pseudonym);
