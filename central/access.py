"""Who may open what at central: the role matrix as data, checked before every
request (:func:`central.http.authorize`).

Every endpoint of the app is in PUBLIC or in ROUTES; an endpoint in neither is
refused (fail closed), and tests/central/test_access_matrix.py walks the URL map
so a new route without a row fails the build. To add a page: add its route in
:mod:`central.pages.blueprint` and one row here (docs/central.md, "Adding a page").

Roles (design.md "Central office"): operator (imports, exports, dashboard),
verifier (likely duplicates, identity findings, send-back), admin (users,
devices), auditor (BPKP/inspectorate: reads everything, the trail included,
changes nothing).
"""

from __future__ import annotations

from berjasa.web.roles import RoleMatrix

OPERATOR, VERIFIER, ADMIN, AUDITOR = "operator", "verifier", "admin", "auditor"
ALL_ROLES = frozenset({OPERATOR, VERIFIER, ADMIN, AUDITOR})

# No session needed: health, the API description, static files, the login form,
# and the device API (each request is signed by the device's key instead).
PUBLIC = frozenset({
    "static",
    "pages.static",
    "central_health.health",
    "api-docs.openapi_json",
    "pages.login",
    "central_devices.register",
    "central_batches.receive_batch",
    "central_batches.batch_answer",
    "central_updates.list_updates",
    "central_erasures.receive_erasures",
    "central_hints.hint_page",
    "central_updates.list_records",
})

ROUTES: dict[str, frozenset[str]] = {
    "pages.logout": ALL_ROLES,
    "pages.dashboard": ALL_ROLES,
    "pages.kecamatan": ALL_ROLES,
    # Downloads of the exports: the people who send them (operator) and check them
    # (auditor). Each one is written to the trail.
    "pages.download": frozenset({OPERATOR, AUDITOR}),
    # The user list: the admin changes it; the auditor reads it (who may do what is
    # an audit question), without the forms.
    "pages.users": frozenset({ADMIN, AUDITOR}),
    "pages.user_create": frozenset({ADMIN}),
    "pages.user_update": frozenset({ADMIN}),
    # The kelurahan laptops and outstanding registration codes, read-only (made and
    # revoked with the commands): the admin manages devices, the auditor reads
    "pages.devices": frozenset({ADMIN, AUDITOR}),
    "pages.audit": frozenset({AUDITOR}),
    "pages.audit_export": frozenset({AUDITOR}),
    # Verification (issue 10): verifiers decide, the auditor reads
    "pages.verification": frozenset({VERIFIER, AUDITOR}),
    "pages.decide_finding": frozenset({VERIFIER}),
    "pages.decide_pair": frozenset({VERIFIER}),
    "pages.send_back": frozenset({VERIFIER}),
}


MATRIX = RoleMatrix(PUBLIC, ROUTES)
allowed = MATRIX.allowed  # (endpoint, role) -> may this role open it
is_public = MATRIX.is_public


def may(role: str | None, endpoint: str) -> bool:
    """For templates: show a link only to the roles that may follow it."""
    return allowed(endpoint, role)
