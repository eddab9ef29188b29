-- Hardening round 2 (issue 13): central's signing keys pinned at registration.
-- central_public_key: the key central's answers must be signed with;
-- central_next_key: the successor central announced (signed by the current key),
-- accepted from the day central switches (`berjasa central key rotate --finish`).
ALTER TABLE sync_device ADD COLUMN central_public_key TEXT;
ALTER TABLE sync_device ADD COLUMN central_next_key TEXT;
