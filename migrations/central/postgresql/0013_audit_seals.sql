-- The keyed seal of each entry of central's audit trail (berjasa/audit_seal.py,
-- docs/audit-chain.md), as the kelurahan's since its migration 0005: HMAC-SHA256 by a
-- key derived from central's data-folder key (privacy.key), which is not in the
-- database, so a database writer cannot rewrite the trail and make seals that verify.
-- Entries written before this migration are sealed once, when central next starts
-- (only if the chain verifies then).
CREATE TABLE audit_seals (
    seq  BIGINT PRIMARY KEY REFERENCES audit_log(seq),
    mac  TEXT NOT NULL
);
CREATE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_seals is append-only';
END;
$$;
CREATE TRIGGER audit_seals_no_update_delete BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_seals_append_only();
