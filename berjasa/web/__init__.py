"""What the kelurahan pages and central's pages share (one copy, used by both
apps): browser sessions kept server-side (:mod:`.sessions`), the CSRF token on
every form (:mod:`.csrf`), the security headers and the login helpers
(:mod:`.pages`), and the lockout rule for failed logins (:mod:`.lockout`)."""
