-- A kelurahan's claim that BPJS registered a record (sync protocol 3, `kpj_claim`):
-- after central was restored from a backup older than some registrations, a laptop
-- sends its registered records again with the KPJ it holds. Central keeps the claim
-- beside the record, never as a registration: the record stays off a new BPJS
-- registration file while it claims a KPJ, and becomes `registered` only when the
-- BPJS participant list shows its NIK with that very KPJ (docs/central.md,
-- "Registrations a restore lost"). kpj_claimed_at: when central received it.
ALTER TABLE records ADD COLUMN kpj_claim TEXT;
ALTER TABLE records ADD COLUMN kpj_claimed_at TEXT;
