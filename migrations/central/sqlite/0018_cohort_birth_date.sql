-- The likely-duplicate check against the 2024 cohort (docs/central.md "Likely
-- duplicates of the 2024 cohort"): each arriving batch looks up the cohort rows born on
-- its records' birth dates, so the cohort is read by birth date, not scanned whole.
CREATE INDEX cohort_birth_date ON cohort(birth_date);
