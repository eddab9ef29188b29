-- The workers whose JHT (old-age savings) the city pays, and from which month
-- (domain.md: "the city plans to add it for part of the workers from the 2026
-- budget"). Replaced whole by each `central import jht`. Dated, so a payment list
-- for an earlier month stays as it was; the cohort file's own jht column and
-- records.jht still count too.
CREATE TABLE jht_list (
    nik          TEXT PRIMARY KEY,
    jht_from     TEXT NOT NULL,
    snapshot_id  INTEGER
);
