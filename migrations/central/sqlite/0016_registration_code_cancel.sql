-- Registration codes an admin can list and cancel (`berjasa central device list`,
-- `device revoke KELURAHAN`): who made each code (the code itself is never shown
-- again: only its SHA-256 is stored), and when and by whom an unused one was
-- cancelled. A cancelled code registers nothing. Codes made before this migration
-- have no creator (NULL).
ALTER TABLE registration_codes ADD COLUMN created_by TEXT;
ALTER TABLE registration_codes ADD COLUMN cancelled_at TEXT;
ALTER TABLE registration_codes ADD COLUMN cancelled_by TEXT;
