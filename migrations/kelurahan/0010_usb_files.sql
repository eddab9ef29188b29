-- Sync by USB stick (docs/sync-agent.md): which unanswered batches went into which
-- file `sync export` wrote, so `privacy erase` can say which file on a stick still
-- holds the person it erased, and write that file again when it is still where it
-- was written (docs/privacy.md, "Berkas flashdisk"). A row goes with its batch:
-- when central answers it (sync/storage.py) or an erasure drops it (cascade). Paths
-- and hashes only: nothing personal.
CREATE TABLE sync_usb_files (
    batch_id    TEXT NOT NULL REFERENCES sync_batches(batch_id) ON DELETE CASCADE,
    file        TEXT NOT NULL,              -- the absolute path written
    sha256      TEXT NOT NULL,              -- of the whole file as written
    written_at  TEXT NOT NULL,
    PRIMARY KEY (batch_id, file, written_at)
);
