-- The records an entry of central's trail acts on when it acts on many at once
-- (docs/central.md "Record targets"): a batch received names each record and the answer
-- it got, a registration file each record it put on the file, an import or recheck each
-- record whose status or rule results it changed. Ids and codes only, never a NIK or a
-- name: `target` is KELURAHAN/RECORD_ID, as the trail's record_id names one record.
-- The entry's chained `changes` hold how many targets it has and the SHA-256 of them
-- (`targets`, `targets_sha256`), so `central audit verify` proves these rows unchanged;
-- append-only like the trail. Keyed by the entry (a batch's targets are appended at the
-- end of the key, as the trail is): an index on the target would be written at random
-- places for every record of every batch (50-60 ms more per 500-record batch on SQLite,
-- measured), while one record's history is an auditor's occasional question, answered
-- by a scan of this narrow table (docs/central.md "Record targets"). Also the index
-- that lists one record's own entries (decisions, erasures, new versions) by record_id.
CREATE TABLE audit_targets (
    seq      BIGINT NOT NULL,
    target   TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    PRIMARY KEY (seq, target)
);
CREATE INDEX audit_log_record ON audit_log(record_id);
CREATE FUNCTION audit_targets_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_targets is append-only';
END;
$$;
CREATE TRIGGER audit_targets_no_update_delete BEFORE UPDATE OR DELETE ON audit_targets
    FOR EACH ROW EXECUTE FUNCTION audit_targets_append_only();
CREATE TRIGGER audit_targets_no_truncate BEFORE TRUNCATE ON audit_targets
    FOR EACH STATEMENT EXECUTE FUNCTION audit_targets_append_only();
