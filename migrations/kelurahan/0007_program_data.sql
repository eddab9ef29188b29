-- Program data (issue 9): the optional disability answer (Washington Group short
-- set) and central's latest rule results, shown to the supervisor in Indonesian.

-- {"has_disability": bool, "kinds": [...]} as JSON text, or NULL (not asked).
ALTER TABLE enrollments ADD COLUMN disability TEXT;
-- JSON list of {"rule", "result", "reason"} as central last evaluated the record.
ALTER TABLE enrollments ADD COLUMN central_eligibility TEXT;
