-- The records an entry of central's trail acts on when it acts on many at once
-- (docs/central.md "Record targets"): a batch received names each record and the answer
-- it got, a registration file each record it put on the file, an import or recheck each
-- record whose status or rule results it changed. Ids and codes only, never a NIK or a
-- name: `target` is KELURAHAN/RECORD_ID, as the trail's record_id names one record.
-- The entry's chained `changes` hold how many targets it has and the SHA-256 of them
-- (`targets`, `targets_sha256`), so `central audit verify` proves these rows unchanged;
-- append-only like the trail. Also the index that lists one record's own entries
-- (decisions, erasures, new versions) by their record_id.
CREATE TABLE audit_targets (
    seq      INTEGER NOT NULL REFERENCES audit_log(seq),
    target   TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    PRIMARY KEY (target, seq)
) WITHOUT ROWID;
CREATE INDEX audit_targets_seq ON audit_targets(seq);
CREATE INDEX audit_log_record ON audit_log(record_id);
CREATE TRIGGER audit_targets_no_update BEFORE UPDATE ON audit_targets
BEGIN
    SELECT RAISE(ABORT, 'audit_targets is append-only');
END;
CREATE TRIGGER audit_targets_no_delete BEFORE DELETE ON audit_targets
BEGIN
    SELECT RAISE(ABORT, 'audit_targets is append-only');
END;
