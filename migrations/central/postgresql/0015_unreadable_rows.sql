-- The NIKs of the rows an import refused (docs/central.md "Imports", "Unreadable rows"):
-- a refused row whose NIK cell still holds a valid NIK names a person the snapshot says
-- nothing readable about, so the rules that read that snapshot answer `unknown` for the
-- NIK (not pass, not fail) until a corrected file is imported. One row per kind and NIK
-- (the first refused row of the file); each import of a kind replaces that kind's rows,
-- in the same transaction as the snapshot itself. Kinds: dtsen, bpjs, cohort.
CREATE TABLE unreadable_rows (
    kind         TEXT NOT NULL,
    nik          TEXT NOT NULL,
    snapshot_id  BIGINT NOT NULL,
    line         INTEGER NOT NULL,
    code         TEXT NOT NULL,
    column_label TEXT NOT NULL,
    PRIMARY KEY (kind, nik)
);
CREATE INDEX unreadable_rows_nik ON unreadable_rows(nik);
