"""Central's office pages: server-rendered Jinja views in Bahasa Indonesia (login,
dashboard, downloads, users, audit trail). Routes are wired in
:mod:`central.pages.blueprint`; each endpoint has a row in :mod:`central.access`."""
