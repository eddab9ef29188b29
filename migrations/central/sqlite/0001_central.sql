-- Central registry: devices, batches, records held city-wide, decisions sent
-- back (updates), likely-duplicate flags, DTSEN/BPJS snapshots, imports, export audit.

CREATE TABLE devices (
    device_id      TEXT PRIMARY KEY,
    kelurahan_code TEXT NOT NULL,
    label          TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    registered_at  TEXT NOT NULL,
    revoked_at     TEXT
);
CREATE INDEX devices_kelurahan ON devices(kelurahan_code);

-- One-time codes are stored as SHA-256: a copied database gives no usable code.
CREATE TABLE registration_codes (
    code_hash      TEXT PRIMARY KEY,
    kelurahan_code TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    expires_at     TEXT NOT NULL,
    used_at        TEXT,
    device_id      TEXT
);

CREATE TABLE request_nonces (
    device_id TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    seen_at   INTEGER NOT NULL,
    PRIMARY KEY (device_id, nonce)
);

CREATE TABLE batches (
    batch_id       TEXT PRIMARY KEY,
    device_id      TEXT NOT NULL REFERENCES devices(device_id),
    kelurahan_code TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    record_count   INTEGER NOT NULL,
    body_bytes     INTEGER NOT NULL,
    answer         BLOB NOT NULL
);

CREATE TABLE records (
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
    status                 TEXT NOT NULL CHECK (status IN ('accepted', 'duplicate', 'rejected', 'registered')),
    reasons                TEXT,
    checks                 TEXT,
    duplicate_of_kelurahan TEXT,
    duplicate_of_record    TEXT,
    kpj_number             TEXT,
    content_hash           TEXT NOT NULL,
    received_at            TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    UNIQUE (kelurahan_code, record_id)
);
-- One active enrollment per NIK city-wide: the database enforces it.
CREATE UNIQUE INDEX records_active_nik ON records(nik) WHERE status IN ('accepted', 'registered');
CREATE INDEX records_nik ON records(nik);
CREATE INDEX records_birth_date ON records(birth_date);
CREATE INDEX records_kelurahan_status ON records(kelurahan_code, status);

CREATE TABLE updates (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    kelurahan_code TEXT NOT NULL,
    record_id      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX updates_kelurahan ON updates(kelurahan_code, seq);

CREATE TABLE duplicate_flags (
    central_id_a INTEGER NOT NULL,
    central_id_b INTEGER NOT NULL,
    match        TEXT NOT NULL,
    flagged_at   TEXT NOT NULL,
    PRIMARY KEY (central_id_a, central_id_b)
);

CREATE TABLE dtsen (
    nik            TEXT PRIMARY KEY,
    kk_number      TEXT,
    full_name      TEXT,
    birth_date     TEXT,
    kelurahan_code TEXT,
    desil          INTEGER NOT NULL
);

CREATE TABLE bpjs_participants (
    nik        TEXT PRIMARY KEY,
    kpj_number TEXT,
    program    TEXT,
    status     TEXT
);

CREATE TABLE imports (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    read_count   INTEGER NOT NULL,
    accepted     INTEGER NOT NULL,
    rejected     INTEGER NOT NULL,
    rejects_file TEXT,
    imported_at  TEXT NOT NULL,
    imported_by  TEXT NOT NULL
);

CREATE TABLE export_audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    what      TEXT NOT NULL,
    format    TEXT NOT NULL,
    row_count INTEGER NOT NULL,
    output    TEXT NOT NULL
);
