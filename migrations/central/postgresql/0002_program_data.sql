-- Program data (issue 9): eligibility stored per record with the snapshots and the
-- dated rule parameters it used, disability, JHT flag, registration/coverage months,
-- the 2024 cohort the city already pays for, and snapshot ids on every import.

-- {"has_disability": bool, "kinds": [...]} as JSON text, or NULL (not asked).
ALTER TABLE records ADD COLUMN disability TEXT;
-- 1 = the worker is flagged for JHT (the city pays JHT too).
ALTER TABLE records ADD COLUMN jht INTEGER NOT NULL DEFAULT 0;
-- JSON list of {"rule", "result": "pass"|"fail"|"unknown", "reason"} (reason in Bahasa Indonesia).
ALTER TABLE records ADD COLUMN eligibility TEXT;
-- JSON {"dtsen": snapshot id|null, "bpjs": snapshot id|null, "parameters": valid_from}.
ALTER TABLE records ADD COLUMN eligibility_snapshots TEXT;
ALTER TABLE records ADD COLUMN evaluated_at TEXT;
-- Set by the BPJS registration export the first time the record is on a file.
ALTER TABLE records ADD COLUMN registration_exported_at TEXT;
-- YYYY-MM: first month the city pays for a registered new worker.
ALTER TABLE records ADD COLUMN coverage_start TEXT;
CREATE INDEX records_status ON records(status);

-- Workers the city already pays for since 2024 (replaced whole by each cohort import).
CREATE TABLE cohort (
    nik            TEXT PRIMARY KEY,
    kpj_number     TEXT,
    full_name      TEXT,
    birth_date     TEXT,
    kelurahan_code TEXT NOT NULL,
    coverage_start TEXT NOT NULL,
    monthly_income BIGINT,
    jht            INTEGER NOT NULL DEFAULT 0,
    snapshot_id    BIGINT
);
CREATE INDEX cohort_kelurahan ON cohort(kelurahan_code);

-- A snapshot id is the imports.id of the import that loaded it.
ALTER TABLE imports ADD COLUMN file_sha256 TEXT;
ALTER TABLE dtsen ADD COLUMN snapshot_id BIGINT;
ALTER TABLE bpjs_participants ADD COLUMN snapshot_id BIGINT;
-- YYYY-MM from the participant list when it carries a start month (else NULL).
ALTER TABLE bpjs_participants ADD COLUMN coverage_start TEXT;
