-- The personal values kept beside the audit chain (audit_values, migration 0004)
-- are what auditors read; `audit verify` checks each against the HMAC tag its entry
-- holds (docs/audit-chain.md). Nothing in berjasa ever changes such a row: it is
-- written with its entry and deleted only when the person is erased. A trigger
-- refuses an UPDATE, so an edit by hand has to drop it first (and is then found by
-- `audit verify`). DELETE stays allowed: erasure removes a person's values.
CREATE TRIGGER audit_values_no_update BEFORE UPDATE ON audit_values
BEGIN
    SELECT RAISE(ABORT, 'audit_values is written once (docs/audit-chain.md)');
END;
