-- The keyed seal of each entry of central's audit trail (berjasa/audit_seal.py,
-- docs/audit-chain.md), as the kelurahan's since its migration 0005: HMAC-SHA256 by a
-- key derived from central's data-folder key (privacy.key), which is not in the
-- database, so a database writer cannot rewrite the trail and make seals that verify.
-- Entries written before this migration are sealed once, when central next starts
-- (only if the chain verifies then).
CREATE TABLE audit_seals (
    seq  INTEGER PRIMARY KEY REFERENCES audit_log(seq),
    mac  TEXT NOT NULL
);
CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;
CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals is append-only');
END;
