-- Supervisor pages and review: browser sessions (server-side, so logout and a
-- deactivated user end them at once) and an index for the duplicate check at
-- review (same birth date is the common part of both matching rules).

CREATE TABLE web_sessions (
    id_hash    TEXT PRIMARY KEY,               -- SHA-256 of the cookie's session id
    user_id    INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    address    TEXT,
    revoked_at TEXT
);
CREATE INDEX web_sessions_user ON web_sessions(user_id);

CREATE INDEX enrollments_birth_date ON enrollments(birth_date);
