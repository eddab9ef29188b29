-- Kelurahan register: site identity, users, API tokens, enrollments with their
-- edit history, and the hash-chained audit trail.

CREATE TABLE site (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('enumerator', 'supervisor', 'admin', 'auditor')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- Bearer tokens are stored as SHA-256 of the token: a copied database file gives
-- no usable token.
CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE enrollments (
    id              TEXT PRIMARY KEY,           -- client UUID
    nik             TEXT NOT NULL,
    kk_number       TEXT NOT NULL,
    full_name       TEXT NOT NULL,
    name_key        TEXT NOT NULL,              -- case/spacing-folded name for search
    birth_place     TEXT NOT NULL,
    birth_date      TEXT NOT NULL,
    sex             TEXT NOT NULL CHECK (sex IN ('L', 'P')),
    address         TEXT NOT NULL,
    rt              TEXT NOT NULL,
    rw              TEXT NOT NULL,
    kelurahan_code  TEXT NOT NULL,
    mother_name     TEXT NOT NULL,
    phone           TEXT,
    occupation      TEXT NOT NULL,
    work_category   TEXT,
    monthly_income  INTEGER NOT NULL,
    heir_name       TEXT NOT NULL,
    heir_relation   TEXT NOT NULL,
    heir_phone      TEXT,
    consent         TEXT NOT NULL,              -- JSON {given, method, at}
    location        TEXT,                       -- JSON {lat, lon, accuracy_m}
    captured_at     TEXT NOT NULL,
    notes           TEXT,
    warnings        TEXT NOT NULL DEFAULT '[]', -- JSON list of {field, code, message}
    intake_hash     TEXT NOT NULL,              -- hash of the content first received (replays)
    status          TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN (
                        'submitted', 'needs_fix', 'approved', 'rejected',
                        'synced', 'registered', 'central_rejected')),
    version         INTEGER NOT NULL DEFAULT 1,
    enumerator      TEXT NOT NULL,              -- username who recorded it
    last_edited_by  TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    reviewed_by     TEXT,
    reviewed_at     TEXT,
    review_reason   TEXT,
    central_status  TEXT,
    central_reason  TEXT,
    kpj_number      TEXT
);
-- One active enrollment per NIK in the kelurahan: the database enforces it.
CREATE UNIQUE INDEX enrollments_active_nik ON enrollments(nik) WHERE status <> 'rejected';
CREATE INDEX enrollments_status ON enrollments(status, received_at);
CREATE INDEX enrollments_enumerator ON enrollments(enumerator, received_at);
CREATE INDEX enrollments_received ON enrollments(received_at, id);
CREATE INDEX enrollments_kk_birth ON enrollments(kk_number, birth_date);
CREATE INDEX enrollments_name_key ON enrollments(name_key);

-- Old values of every edited record, one row per version replaced.
CREATE TABLE enrollment_history (
    id            INTEGER PRIMARY KEY,
    enrollment_id TEXT NOT NULL REFERENCES enrollments(id),
    version       INTEGER NOT NULL,
    status        TEXT NOT NULL,
    changed_at    TEXT NOT NULL,
    changed_by    TEXT NOT NULL,
    action        TEXT NOT NULL,
    old_values    TEXT NOT NULL,                -- JSON of the fields that changed (old)
    new_values    TEXT NOT NULL,                -- JSON of the same fields (new)
    reason        TEXT
);
CREATE INDEX enrollment_history_record ON enrollment_history(enrollment_id, id);

-- Append-only audit trail; each entry holds the hash of the previous one.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    action     TEXT NOT NULL,
    record_id  TEXT,
    changes    TEXT NOT NULL,                   -- JSON {field: [before, after]}
    reason     TEXT,
    address    TEXT,
    prev_hash  TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(record_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Failed logins, counted per user and per address for the lockout rule.
CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    username TEXT NOT NULL COLLATE NOCASE,
    address  TEXT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures(username, at);
CREATE INDEX login_failures_address ON login_failures(address, at);
