"""Who may call what: the role matrix as data, checked before every request.

Every endpoint must appear here, either in PUBLIC or in ROUTES; an endpoint in
neither is refused (fail closed), and a test walks the URL map to make sure each
route has an entry. Roles (design.md, domain.md): enumerator records and edits
their own; supervisor reviews and edits in the kelurahan; admin manages users and
settings but never reviews; auditor reads everything, writes nothing.
"""

from __future__ import annotations

from berjasa.web.roles import RoleMatrix

ENUMERATOR, SUPERVISOR, ADMIN, AUDITOR = "enumerator", "supervisor", "admin", "auditor"
ALL_ROLES = frozenset({ENUMERATOR, SUPERVISOR, ADMIN, AUDITOR})

PUBLIC = frozenset({
    "static",
    "health.health",
    "auth.issue_token",
    "api-docs.openapi_json",
    "pages.login",  # the login form itself (CSRF-protected, lockout as for tokens)
    # The field app's static files (no data in them; the login happens inside).
    "field_app.app_root",
    "field_app.app_index",
    "field_app.app_file",
    "field_app.service_worker",
    "field_app.service_worker_send",
    "field_app.ca_certificate",
    # A worker checks their status with the receipt's id + birth date (rate-limited;
    # a wrong date is answered like an unknown id).
    "receipts.receipt_status",
})

ROUTES: dict[str, frozenset[str]] = {
    "auth.revoke_token": ALL_ROLES,
    "auth.whoami": ALL_ROLES,
    "enrollments.create_enrollment": frozenset({ENUMERATOR, SUPERVISOR}),
    "enrollments.create_batch": frozenset({ENUMERATOR, SUPERVISOR}),
    "enrollments.list_enrollments": frozenset({ENUMERATOR, SUPERVISOR, AUDITOR}),
    "enrollments.get_enrollment": frozenset({ENUMERATOR, SUPERVISOR, AUDITOR}),
    "enrollments.edit_enrollment": frozenset({ENUMERATOR, SUPERVISOR}),
    "review.review_enrollment": frozenset({SUPERVISOR}),
    "audit.list_audit": frozenset({SUPERVISOR, ADMIN, AUDITOR}),
    # Supervisor pages (browser sessions go through the same matrix as tokens).
    "pages.logout": ALL_ROLES,
    "pages.queue": frozenset({SUPERVISOR, AUDITOR}),
    "pages.by_status": frozenset({SUPERVISOR, AUDITOR}),
    "pages.enrollment": frozenset({SUPERVISOR, AUDITOR}),
    "pages.decide": frozenset({SUPERVISOR}),
    "pages.receipt": frozenset({SUPERVISOR, AUDITOR}),
    "pages.sync_now": frozenset({SUPERVISOR}),
    "pages.users": frozenset({ADMIN}),
    "pages.user_create": frozenset({ADMIN}),
    "pages.user_update": frozenset({ADMIN}),
    "sync.status": frozenset({SUPERVISOR, ADMIN, AUDITOR}),
    "sync.run_now": frozenset({SUPERVISOR}),
    "field.field_reference": ALL_ROLES,
    "field.dedupe_index": frozenset({ENUMERATOR}),
    "field.dedupe_key": frozenset({ENUMERATOR}),
    # the phone's status look: each user's own records only (as the phone's roles)
    "field.field_statuses": frozenset({ENUMERATOR, SUPERVISOR}),
}


# Who sees the personal values beside audit entries (old/new name, address, phone,
# review reasons): the roles that may read records. Admins see field names, who
# changed them and when, and the keyed tags the chain holds; never the values.
AUDIT_VALUES = frozenset({SUPERVISOR, AUDITOR})


def sees_personal_values(role: str | None) -> bool:
    """True when ``role`` may read the personal values of the audit trail."""
    return role in AUDIT_VALUES and role in ROUTES["enrollments.get_enrollment"]


MATRIX = RoleMatrix(PUBLIC, ROUTES)
allowed = MATRIX.allowed  # (endpoint, role) -> may this role open it
is_public = MATRIX.is_public
