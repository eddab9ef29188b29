-- Personal data (issue 12, docs/privacy.md): a record erased at central keeps its
-- ids and status 'erased' (its personal fields wiped; it leaves every export and
-- the one-active-NIK index), and the erasures table is both the audit of each
-- erasure and the tombstone that refuses a later arrival of an erased record
-- (keyed by kelurahan and record id; the NIK only as a keyed HMAC pseudonym).

-- SQLite cannot change a CHECK in place: rebuild records with the same columns
-- (0001 + 0002), then recreate every index, the partial unique one included.
-- Nothing references records by foreign key.
CREATE TABLE records_new (
    central_id             INTEGER PRIMARY KEY,
    kelurahan_code         TEXT NOT NULL,
    record_id              TEXT NOT NULL,
    batch_id               TEXT NOT NULL,
    nik                    TEXT NOT NULL,
    kk_number              TEXT,
    full_name              TEXT,
    name_key               TEXT NOT NULL,
    birth_place            TEXT,
    birth_date             TEXT,
    sex                    TEXT,
    address                TEXT,
    rt                     TEXT,
    rw                     TEXT,
    mother_name            TEXT,
    phone                  TEXT,
    occupation             TEXT,
    work_category          TEXT,
    monthly_income         INTEGER,
    heir_name              TEXT,
    heir_relation          TEXT,
    heir_phone             TEXT,
    consent                TEXT,
    location               TEXT,
    captured_at            TEXT,
    notes                  TEXT,
    version                INTEGER,
    enumerator             TEXT,
    reviewed_by            TEXT,
    reviewed_at            TEXT,
    status                 TEXT NOT NULL CHECK (status IN ('accepted', 'duplicate', 'rejected', 'registered', 'erased')),
    reasons                TEXT,
    checks                 TEXT,
    duplicate_of_kelurahan TEXT,
    duplicate_of_record    TEXT,
    kpj_number             TEXT,
    content_hash           TEXT NOT NULL,
    received_at            TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    disability             TEXT,
    jht                    INTEGER NOT NULL DEFAULT 0,
    eligibility            TEXT,
    eligibility_snapshots  TEXT,
    evaluated_at           TEXT,
    registration_exported_at TEXT,
    coverage_start         TEXT,
    UNIQUE (kelurahan_code, record_id)
);
INSERT INTO records_new (central_id, kelurahan_code, record_id, batch_id, nik, kk_number, full_name, name_key, birth_place, birth_date, sex, address, rt, rw, mother_name, phone, occupation, work_category, monthly_income, heir_name, heir_relation, heir_phone, consent, location, captured_at, notes, version, enumerator, reviewed_by, reviewed_at, status, reasons, checks, duplicate_of_kelurahan, duplicate_of_record, kpj_number, content_hash, received_at, updated_at, disability, jht, eligibility, eligibility_snapshots, evaluated_at, registration_exported_at, coverage_start)
SELECT central_id, kelurahan_code, record_id, batch_id, nik, kk_number, full_name, name_key, birth_place, birth_date, sex, address, rt, rw, mother_name, phone, occupation, work_category, monthly_income, heir_name, heir_relation, heir_phone, consent, location, captured_at, notes, version, enumerator, reviewed_by, reviewed_at, status, reasons, checks, duplicate_of_kelurahan, duplicate_of_record, kpj_number, content_hash, received_at, updated_at, disability, jht, eligibility, eligibility_snapshots, evaluated_at, registration_exported_at, coverage_start FROM records;
DROP TABLE records;
ALTER TABLE records_new RENAME TO records;
CREATE UNIQUE INDEX records_active_nik ON records(nik) WHERE status IN ('accepted', 'registered');
CREATE INDEX records_nik ON records(nik);
CREATE INDEX records_birth_date ON records(birth_date);
CREATE INDEX records_kelurahan_status ON records(kelurahan_code, status);
CREATE INDEX records_status ON records(status);

CREATE TABLE erasures (
    id             INTEGER PRIMARY KEY,
    kelurahan_code TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    central_id     INTEGER,                     -- NULL: erased before central received it
    pseudonym      TEXT,                        -- HMAC-SHA256(central key, NIK), when held
    origin         TEXT NOT NULL CHECK (origin IN ('kelurahan', 'central')),
    device_id      TEXT,                        -- the signing device (origin kelurahan)
    reason         TEXT,
    erased_by      TEXT NOT NULL,
    erased_at      TEXT NOT NULL,
    UNIQUE (kelurahan_code, record_id)
);
CREATE INDEX erasures_pseudonym ON erasures(pseudonym);
