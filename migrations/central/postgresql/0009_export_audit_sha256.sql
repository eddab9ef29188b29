-- Issue 9 (exports): every export's audit row keeps the SHA-256 of the file written
-- and the filters used (JSON), so a file handed to BPJS or BPKAD can be matched
-- to the row that produced it. (0009: issue 9's own number; 0002 holds its schema.)
ALTER TABLE export_audit ADD COLUMN sha256 TEXT;
ALTER TABLE export_audit ADD COLUMN filters TEXT;
