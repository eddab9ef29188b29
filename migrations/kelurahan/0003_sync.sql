-- Sync agent: the outbox of approved records, the batches built from it (kept
-- byte for byte until central answers), every attempt, the device identity, the
-- updates cursor, notices from central, and the run lease (one agent at a time).

-- One row per approved record waiting for central. batch_id is NULL while the
-- record is pending and names its batch once packed; the row goes when central's
-- answer for it is stored.
CREATE TABLE sync_outbox (
    enrollment_id TEXT PRIMARY KEY REFERENCES enrollments(id),
    queued_at     TEXT NOT NULL,
    batch_id      TEXT REFERENCES sync_batches(batch_id)
);
CREATE INDEX sync_outbox_pending ON sync_outbox(batch_id, queued_at);

-- A batch is built once (body + headers as they go on the wire) and resent
-- identically until answered: central treats the same id and content as a replay.
CREATE TABLE sync_batches (
    batch_id      TEXT PRIMARY KEY,
    content_hash  TEXT NOT NULL,
    record_ids    TEXT NOT NULL,               -- JSON list, in the batch's record order
    record_count  INTEGER NOT NULL,
    body          BLOB NOT NULL,
    headers       TEXT NOT NULL,               -- JSON of the signed protocol headers
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'answered')),
    created_at    TEXT NOT NULL,
    sends         INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    answered_at   TEXT,
    answer        BLOB,
    accepted      INTEGER,
    refused       INTEGER
);
CREATE INDEX sync_batches_state ON sync_batches(state, created_at);

-- Every run of the agent, for /api/v1/sync/status and the supervisor page.
CREATE TABLE sync_attempts (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    trigger       TEXT NOT NULL,               -- cli, schedule, supervisor, demo
    result        TEXT NOT NULL DEFAULT 'running'
                  CHECK (result IN ('running', 'ok', 'partial', 'failed', 'busy')),
    batches_sent  INTEGER NOT NULL DEFAULT 0,
    records_sent  INTEGER NOT NULL DEFAULT 0,
    records_answered INTEGER NOT NULL DEFAULT 0,
    updates_applied  INTEGER NOT NULL DEFAULT 0,
    bytes_up      INTEGER NOT NULL DEFAULT 0,
    bytes_down    INTEGER NOT NULL DEFAULT 0,
    error         TEXT
);
CREATE INDEX sync_attempts_started ON sync_attempts(started_at);

-- The device registered at central (one row). The private key is a PEM file in
-- the data folder (key_file, relative to it); only its public half left the laptop.
CREATE TABLE sync_device (
    singleton      INTEGER PRIMARY KEY CHECK (singleton = 1),
    device_id      TEXT NOT NULL,
    kelurahan_code TEXT NOT NULL,
    central_url    TEXT NOT NULL,
    key_file       TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    registered_at  TEXT NOT NULL
);

-- Small agent state: the updates cursor, consecutive failures for back-off.
CREATE TABLE sync_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Central's notices that change no status (the NIK sent elsewhere too, a likely
-- duplicate pair): shown to the supervisor.
CREATE TABLE sync_notices (
    seq           INTEGER PRIMARY KEY,         -- central's update seq
    enrollment_id TEXT NOT NULL,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    received_at   TEXT NOT NULL
);
CREATE INDEX sync_notices_record ON sync_notices(enrollment_id);

-- One agent run at a time, on every platform: a lease row taken with
-- BEGIN IMMEDIATE and renewed while the run lasts; a killed run's lease expires.
CREATE TABLE sync_lease (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  REAL NOT NULL                  -- unix seconds
);

-- Whatever path approves a record (review endpoint, lifecycle, a script), it
-- enters the outbox in the same transaction.
CREATE TRIGGER sync_outbox_on_approve AFTER UPDATE OF status ON enrollments
WHEN NEW.status = 'approved' AND OLD.status <> 'approved'
BEGIN
    INSERT OR IGNORE INTO sync_outbox (enrollment_id, queued_at)
    VALUES (NEW.id, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'));
END;
CREATE TRIGGER sync_outbox_on_insert_approved AFTER INSERT ON enrollments
WHEN NEW.status = 'approved'
BEGIN
    INSERT OR IGNORE INTO sync_outbox (enrollment_id, queued_at)
    VALUES (NEW.id, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'));
END;

-- Records approved before this migration.
INSERT OR IGNORE INTO sync_outbox (enrollment_id, queued_at)
SELECT id, updated_at FROM enrollments WHERE status = 'approved';
