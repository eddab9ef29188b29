-- Hardening round 2 (issue 13): central's signing keys pinned at registration.
-- central_public_key: the key central's answers must be signed with;
-- central_next_key: the successor central announced (signed by the current key),
-- accepted from the day central switches (`berjasa central key rotate --finish`).
ALTER TABLE sync_device ADD COLUMN central_public_key TEXT;
ALTER TABLE sync_device ADD COLUMN central_next_key TEXT;

-- The audit chain's keyed seal (issue 13 item 2; docs/audit-chain.md): one
-- HMAC-SHA256 per entry over its entry_hash, with a key derived from the data
-- folder's privacy.key (a file, not in this database). Rewriting history and
-- recomputing the SHA-256 chain is no longer enough: the seals would not match.
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
