-- `berjasa sync resend` (docs/sync-agent.md, "After central was restored"): records
-- central accepted earlier are queued again, marked, so the outbox packs them
-- although they are no longer `approved`. Central answers a record it still holds
-- with its earlier decision, and ingests one it lost (restored from an older backup).
ALTER TABLE sync_outbox ADD COLUMN resend INTEGER NOT NULL DEFAULT 0;
