-- Records central holds that this laptop does not (docs/sync-agent.md, "A laptop
-- restored from an older backup"): a pulled decision or notice about a record id the
-- register does not hold, and that was not erased here, is kept here instead of being
-- dropped, so `sync run`, `sync status` and the supervisor's panel can say "pusat
-- memegang N data yang tidak ada di laptop ini", and `berjasa sync recover` can take
-- those records back from central. Ids, kinds and central statuses only: nothing
-- personal. A row goes when its record is recovered, or central no longer holds it.
CREATE TABLE sync_central_only (
    record_id      TEXT PRIMARY KEY,
    central_status TEXT,                       -- what central's latest entry names, if any
    last_kind      TEXT NOT NULL,              -- that entry's kind (needs_fix, registered, ...)
    last_seq       INTEGER NOT NULL,           -- and its seq in central's updates
    first_seen_at  TEXT NOT NULL,
    last_seen_at   TEXT NOT NULL
);
