-- The name search folds apostrophes and punctuation (docs/api.md, `q`): "Ma'ruf",
-- "Ma’ruf" and "maruf" find "Ma’ruf Daéng Ngëmba"; "Hj St", "Hj.St." and "Hj. St."
-- find "Hj. St. Aminah". The names already held are folded again the same way:
-- berjasa_name_key() is server.storage.enrollments.name_key, the very function every
-- insert, edit and query uses (server/install.py registers it on the connection
-- that migrates). Only rows whose folded name changes are written.
UPDATE enrollments SET name_key = berjasa_name_key(full_name)
WHERE name_key IS NOT berjasa_name_key(full_name);
