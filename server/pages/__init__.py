"""Supervisor pages: server-rendered Jinja views in Bahasa Indonesia (login, the
review queue, the review page, lists by status, user management). The routes are
wired in :mod:`server.pages.blueprint`; this package's modules hold the views,
the browser session and the CSRF token."""
