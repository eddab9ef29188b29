-- Likely-duplicate candidates by name word (docs/architecture.md, "Scale plan").
-- central.dedupe.match_reason needs the same birth date and either the same KK or
-- similar names; two similar names of two or more words always share a whole word
-- of their name_key, and a one-word name is only ever similar to another one-word
-- name. So ingest looks candidates up by (birth_date, kk_number), by (birth_date,
-- word) and, for one-word names, by birth date among one-word names, instead of
-- pulling every active record born that day.
-- One row per distinct word of a held record's name_key (any status but erased:
-- status changes need no upkeep, the lookup joins records for the status); written
-- with the record, replaced with it, deleted when it is erased (docs/privacy.md).
CREATE TABLE record_name_words (
    central_id  BIGINT NOT NULL,
    birth_date  TEXT NOT NULL,
    word        TEXT NOT NULL,
    word_count  INTEGER NOT NULL,              -- words in the whole name_key
    PRIMARY KEY (central_id, word)
);
CREATE INDEX record_name_words_date_word ON record_name_words(birth_date, word);
CREATE INDEX record_name_words_one_word ON record_name_words(birth_date) WHERE word_count = 1;
CREATE INDEX records_birth_date_kk ON records(birth_date, kk_number);

-- name_key is single words joined by one space (central.dedupe.name_key)
INSERT INTO record_name_words (central_id, birth_date, word, word_count)
SELECT DISTINCT r.central_id, r.birth_date, w.word, cardinality(string_to_array(r.name_key, ' '))
FROM records r, unnest(string_to_array(r.name_key, ' ')) AS w(word)
WHERE r.status <> 'erased' AND r.birth_date IS NOT NULL AND r.birth_date <> ''
  AND r.name_key IS NOT NULL AND r.name_key <> '' AND w.word <> '';
