"""Central registry settings, declared once. The entry point
(:func:`berjasa.cli.declare_settings`) adds them to berjasa.settings.SETTINGS.
"""

from __future__ import annotations

from berjasa.settings import Setting

CENTRAL_SETTINGS = (
    Setting("central_database_url", "",
            "Central database: sqlite:///path or postgresql://user@host/db (set by "
            "`berjasa central init`; empty = central.db in the data folder)."),
    Setting("central_host", "127.0.0.1", "Address `berjasa central serve` listens on."),
    Setting("central_port", 8090, "Port `berjasa central serve` listens on."),
    Setting("central_threads", 8, "Waitress worker threads for `berjasa central serve`."),
    Setting("central_trusted_proxy", "",
            "Address of the reverse proxy (nginx, Caddy: the city's HTTPS front) whose "
            "X-Forwarded-For and X-Forwarded-Proto central trusts, e.g. 127.0.0.1 "
            "(waitress's trusted_proxy). Empty: the connection's address is the client's "
            "and those headers are dropped (a header could name anyone)."),
    Setting("central_registration_code_ttl_minutes", 1440,
            "How long a one-time device registration code stays valid."),
    Setting("central_max_batch_bytes", 5_242_880,
            "Largest compressed batch body central accepts (413 above)."),
    Setting("central_max_decompressed_bytes", 67_108_864,
            "Largest decompressed batch (decompression-bomb guard; 413 above)."),
    Setting("central_max_batch_records", 1000, "Most records in one batch (413 above)."),
    Setting("central_import_max_bytes", 1_073_741_824,
            "Largest list `central import` reads: a CSV's size, or an XLSX workbook's content "
            "once unzipped (decompression-bomb guard; the workbook's other limits derive from it)."),
    Setting("central_request_max_skew_seconds", 300,
            "Allowed difference between a device's signed request time and central's clock."),
    Setting("central_updates_page_size", 500, "Most update entries in one /api/v1/updates answer."),
    Setting("central_updates_wait_seconds", 15.0,
            "Longest /api/v1/updates?wait_for= waits for the named batches to be stored "
            "before it answers (the agent asks it beside the end of its push)."),
    Setting("central_dashboard_cache_seconds", 30,
            "Longest the dashboard's figures are reused before they are counted again (they "
            "are counted again at once when a batch, import, update or laptop changes; 0 = "
            "count on every request)."),
    Setting("central_hint_key_days", 30,
            "Central's duplicate-hint key is replaced after this many days."),
    Setting("central_hint_key_change", 0.25,
            "...or when the active set grew or shrank by more than this share since the key was made."),
    Setting("central_hints_page_size", 20000, "Most records' hashes in one /api/v1/hints answer."),
    Setting("central_targets_file", "",
            "CSV of enrollment targets per kelurahan (kelurahan_code,target); empty = the "
            "placeholder shipped in central/data/targets.csv."),
    Setting("central_contributions_file", "",
            "JSON of dated contribution rates and income bands; empty = the one shipped in "
            "central/data/contributions.json (PP 44/2015 Lampiran II)."),
    Setting("central_dukcapil_url", "",
            "Dukcapil NIK web service base URL (over the VPN of the access agreement); empty = "
            "identity checks against Dukcapil are off and raise no finding."),
    Setting("central_dukcapil_agency", "disnaker_makassar",
            "Agency path segment of the Dukcapil URL (/dukcapil/get_json/<agency>/...)."),
    Setting("central_dukcapil_user_id", "", "Dukcapil user id (set it in settings.toml of the "
            "data folder or BERJASA_CENTRAL_DUKCAPIL_USER_ID, never in the repository)."),
    Setting("central_dukcapil_password", "", "Dukcapil password (BERJASA_CENTRAL_DUKCAPIL_PASSWORD "
            "or settings.toml of the data folder; never in the repository)."),
    Setting("central_dukcapil_ip_user", "127.0.0.1", "The client IP registered with Dukcapil."),
    Setting("central_dukcapil_threshold", 90, "Dukcapil's fuzzy-match threshold (TRESHOLD, 1-95)."),
    Setting("central_dukcapil_daily_quota", 1000,
            "Dukcapil calls allowed per day (Makassar date) under the access agreement."),
    Setting("central_dukcapil_hours", "07:00-17:00",
            "Dukcapil access hours, Makassar time (WITA), HH:MM-HH:MM."),
    Setting("central_dukcapil_timeout_seconds", 10.0, "Timeout of one Dukcapil call."),
    Setting("central_dukcapil_retries", 3, "Attempts per record on a timeout, 5xx or garbage."),
    Setting("central_dukcapil_backoff_seconds", 1.0,
            "First wait between attempts (doubles each time)."),
    Setting("central_export_columns_file", "",
            "JSON of the columns of each central export (order, headers, kinds), e.g. a BPJS "
            "branch office's template; empty = central/data/export_columns.json."),
)
