-- Whether a registered worker is still a participant (docs/central.md, "When
-- participation ends"). The BPJS participant list's line of each row, so a finding
-- about a registered worker's status on the list names the file and the line
-- (NULL for a list imported before this migration); and the last month the city pays
-- for a registered worker whose participation a verifier found ended (the BPJS list
-- shows them no longer active, or Dukcapil reports them deceased): the payment list
-- leaves them out from the month after, and the record stays registered with its KPJ.
ALTER TABLE bpjs_participants ADD COLUMN line INTEGER;
ALTER TABLE records ADD COLUMN coverage_end TEXT;
