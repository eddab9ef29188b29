-- Phones drop an erased person's card (docs/field-app.md, section 7): the status
-- look (GET /api/v1/field/statuses) answers each of an enumerator's erased records
-- as "erased", by id only. So an erasure remembers whose record it was: the
-- username of the enumerator who recorded it (not the person's data). Erasures made
-- before this migration take it from the record's creation entry in the audit trail
-- (read only; the trail is not changed).
ALTER TABLE privacy_erasures ADD COLUMN enumerator TEXT;
UPDATE privacy_erasures SET enumerator = (
    SELECT actor FROM audit_log
    WHERE audit_log.record_id = privacy_erasures.record_id AND action = 'enrollment.create'
    ORDER BY seq LIMIT 1);
CREATE INDEX privacy_erasures_enumerator ON privacy_erasures(enumerator, erased_at);
