-- Verification at central (issue 10): identity findings for verifiers (DTSEN
-- match, Dukcapil answers, records sent back to their kelurahan), the Dukcapil
-- run's per-record progress and daily quota use, and verifiers' decisions on
-- likely-duplicate pairs.

-- A finding is never a rejection: it waits (status 'open') for a verifier, and
-- while any finding of a record is open the record stays off the BPJS
-- registration file. kind: dtsen_mismatch, dukcapil_mismatch, dukcapil_deceased,
-- dukcapil_not_found, dukcapil_multiple_nik, dukcapil_inactive, sent_back.
CREATE TABLE findings (
    id             BIGSERIAL PRIMARY KEY,
    central_id     BIGINT NOT NULL,
    record_version INTEGER,
    kind           TEXT NOT NULL,
    source         TEXT NOT NULL,
    evidence       TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'decided')),
    raised_at      TEXT NOT NULL,
    raised_by      TEXT NOT NULL,
    decided_by     TEXT,
    decided_at     TEXT,
    decision       TEXT,
    reason         TEXT
);
-- One open finding of a kind per record: raising it again changes nothing.
CREATE UNIQUE INDEX findings_open_kind ON findings(central_id, kind) WHERE status = 'open';
CREATE INDEX findings_status ON findings(status, central_id);

-- Per-record progress of a Dukcapil run, so a stopped run (quota, hours, an
-- outage) resumes where it stopped and a record is asked once per version.
-- state: done (an answer was recorded), deferred (cannot verify now; retried).
CREATE TABLE dukcapil_checks (
    central_id     BIGINT NOT NULL,
    record_version INTEGER NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('done', 'deferred')),
    response_code  TEXT,
    elements       TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    checked_at     TEXT NOT NULL,
    PRIMARY KEY (central_id, record_version)
);

-- Calls made per day (Asia/Makassar date), against the agreement's daily quota.
CREATE TABLE dukcapil_usage (
    day   TEXT PRIMARY KEY,
    calls INTEGER NOT NULL
);

-- A verifier's decision on a likely-duplicate pair: keep_a, keep_b, different.
-- decided_at IS NULL while open; the conditional update on it lets one of two
-- verifiers deciding at once win.
ALTER TABLE duplicate_flags ADD COLUMN decision TEXT;
ALTER TABLE duplicate_flags ADD COLUMN reason TEXT;
ALTER TABLE duplicate_flags ADD COLUMN decided_by TEXT;
ALTER TABLE duplicate_flags ADD COLUMN decided_at TEXT;
