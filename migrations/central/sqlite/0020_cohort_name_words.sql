-- The likely-duplicate check against the 2024 cohort (docs/central.md "Likely
-- duplicates of the 2024 cohort"): a record looks like a cohort worker when it has the
-- same birth date and a similar name under another NIK. As for records
-- (record_name_words, migration 0010), two similar names of two or more words share a
-- whole word of their name key (central.dedupe.name_key) and a one-word name is only
-- similar to a one-word name, so an arriving batch looks cohort rows up by (birth_date,
-- word) and, for one-word names, by birth date among one-word names. The words are made
-- in Python (name_key): central.storage.snapshots.index_cohort_names fills the table
-- for the cohort in force at its import, or at the first batch after it (a cohort
-- imported before this migration); snapshot_id says which cohort they are of. A row
-- without a name or a birth date has one row with word '' and word_count 0.
CREATE TABLE cohort_name_words (
    nik         TEXT NOT NULL,
    birth_date  TEXT NOT NULL,
    word        TEXT NOT NULL,
    word_count  INTEGER NOT NULL,
    snapshot_id BIGINT NOT NULL,
    PRIMARY KEY (nik, word)
);
CREATE INDEX cohort_name_words_date_word ON cohort_name_words(birth_date, word);
CREATE INDEX cohort_name_words_one_word ON cohort_name_words(birth_date) WHERE word_count = 1;
-- After a cohort import and in `central verify` every accepted record is compared with
-- the cohort rows born the same day (a join on birth_date).
CREATE INDEX cohort_birth_date ON cohort(birth_date);
