-- The likely-duplicate check against the 2024 cohort reads the cohort into each
-- central process's memory, by birth date (central/cohort_memory.py), and reads it
-- again only after another cohort import: the name words migration 0020 kept for it
-- are no longer read, and a copy of the cohort's NIKs and names is one copy fewer to
-- keep and to erase. The birth-date index of migration 0020 stays (the whole-cohort
-- comparison after an import and in `central verify`).
DROP TABLE cohort_name_words;
