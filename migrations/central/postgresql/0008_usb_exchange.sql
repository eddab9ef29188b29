-- Sync by USB stick: each device's X25519 exchange key (public half), registered
-- with the device, so central can encrypt answers to it and check who wrote a file.
CREATE TABLE device_exchange_keys (
    device_id  TEXT PRIMARY KEY REFERENCES devices(device_id),
    public_key TEXT NOT NULL,
    added_at   TEXT NOT NULL
);
