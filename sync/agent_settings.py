"""Sync agent settings, declared once; docs/sync-agent.md lists them. The entry
point (:func:`berjasa.cli.declare_settings`) adds them to berjasa.settings.SETTINGS.
"""

from __future__ import annotations

from berjasa.settings import Setting

AGENT_SETTINGS = (
    Setting("sync_central_url", "",
            "Central registry base URL (set by `berjasa sync register`), e.g. https://pusat.example/."),
    Setting("sync_batch_size", 500, "Records per batch sent to central (central allows up to 1000)."),
    Setting("sync_parallel_requests", 8,
            "Batches in flight at once: one TCP stream on a lossy 300 ms link fills only part "
            "of it; each batch is idempotent at central, so concurrency keeps exactly-once."),
    Setting("sync_encode_processes", 1,
            "Helper processes that encode batches while the agent sends (0 = encode in "
            "the agent's own process; runs of fewer than three batches always do)."),
    Setting("sync_interval_minutes", 5, "How often the scheduled agent (`berjasa sync run`) runs."),
    Setting("sync_connect_timeout_seconds", 10.0, "TCP/TLS connect timeout for requests to central."),
    Setting("sync_read_timeout_seconds", 30.0, "Longest wait for central's answer bytes."),
    Setting("sync_run_seconds", 40.0,
            "A run starts no new request after this many seconds (so `sync run --once` ends "
            "within a minute even when central is down or slow); the rest waits for the next run."),
    Setting("sync_scheduled_run_seconds", 600.0,
            "Scheduled agent (`berjasa sync run`): its runs may start requests this long, so a "
            "backlog on a slow link goes in one run instead of 40-second runs that each ramp "
            "up and drain; `--once` and \"sync now\" keep sync_run_seconds."),
    Setting("sync_request_retries", 2,
            "Extra tries of one request inside a run after a timeout, cut link or 5xx."),
    Setting("sync_backoff_base_seconds", 30.0,
            "Scheduled agent: wait after the first failed run; doubles per failure, with jitter."),
    Setting("sync_backoff_max_seconds", 1800.0, "Scheduled agent: longest back-off between runs."),
    Setting("sync_lease_seconds", 30.0,
            "Run lease (one agent at a time); renewed while running, so a killed agent's lease "
            "frees itself after this long."),
    Setting("sync_ca_bundle", "",
            "PEM file of the CA(s) that sign central's HTTPS certificate (a city-run CA); "
            "empty = the system/certifi bundle. Certificates are always verified."),
)
