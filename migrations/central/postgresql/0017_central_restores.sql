-- A central database restored from a backup (docs/central.md "Registrations a restore
-- lost", docs/operator-guide.md "Central restored from a backup"): `berjasa central
-- restored --reason TEXT` records it after the copy or pg_restore. While the latest
-- restore has no BPJS participant list imported after it (an imports row of kind
-- 'bpjs' with an id above `imports_before`, the highest imports id when it was
-- recorded), the BPJS registration file is refused: the restored database has forgotten
-- registrations made after the backup, and only the newer list shows them.
CREATE TABLE central_restores (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at    TEXT NOT NULL,
    recorded_by    TEXT NOT NULL,
    reason         TEXT NOT NULL,
    imports_before BIGINT NOT NULL
);
