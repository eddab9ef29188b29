-- Central office workspace (issue 11): office users and roles, server-side page
-- sessions, failed sign-ins (keyed hashes of the typed name, never the name), and
-- central's hash-chained, append-only audit trail (berjasa/audit.py).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('operator', 'verifier', 'admin', 'auditor')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE web_sessions (
    id_hash    TEXT PRIMARY KEY,               -- SHA-256 of the cookie's session id
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address    TEXT,
    revoked_at TEXT
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);

CREATE TABLE login_failures (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    name_key TEXT NOT NULL,                    -- keyed hash of the name typed
    address  TEXT NOT NULL
);
CREATE INDEX login_failures_name ON login_failures(name_key, at);
CREATE INDEX login_failures_address ON login_failures(address, at);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    role       TEXT NOT NULL,
    action     TEXT NOT NULL,
    record_id  TEXT,
    changes    TEXT NOT NULL,
    reason     TEXT,
    address    TEXT,
    prev_hash  TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor);
CREATE INDEX audit_log_action ON audit_log(action);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- The dashboard's week chart and enumerator table group on these.
CREATE INDEX records_received_at ON records(received_at);
CREATE INDEX records_kelurahan_enumerator ON records(kelurahan_code, enumerator);
