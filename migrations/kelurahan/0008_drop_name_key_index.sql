-- The name search is "name contains" (name_key LIKE '%...%'), which no index can
-- serve: EXPLAIN QUERY PLAN of every list query walks enrollments_received,
-- enrollments_status or enrollments_enumerator instead. The index on name_key was
-- only maintained, on every insert and name edit (issue 16: ~1.5 us of a record's
-- ~24 us insert).
DROP INDEX IF EXISTS enrollments_name_key;
