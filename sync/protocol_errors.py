"""The errors the sync protocol raises, each with a stable code and the HTTP
status central answers with (docs/sync-protocol.md lists them)."""

from __future__ import annotations

# code -> (HTTP status, message in Bahasa Indonesia shown to the operator)
PROTOCOL_ERRORS: dict[str, tuple[int, str]] = {
    "malformed": (400, "Isi batch rusak atau tidak sesuai format."),
    "unsupported_version": (400, "Versi protokol sinkronisasi tidak didukung; perbarui aplikasi."),
    "hash_mismatch": (400, "Hash isi batch tidak cocok dengan isinya."),
    # a signed GET whose signing headers are missing or unreadable (not a batch)
    "unsigned_request": (400, ("Permintaan tidak bertanda tangan perangkat: header "
                               "Berjasa-Timestamp dan Berjasa-Nonce (bersama Berjasa-Device "
                               "dan Berjasa-Signature) tidak ada atau tidak terbaca.")),
    "unknown_device": (401, "Perangkat tidak terdaftar di pusat."),
    "bad_signature": (401, "Tanda tangan batch atau permintaan tidak sah."),
    "stale_request": (401, "Waktu permintaan terlalu jauh dari jam pusat; periksa jam laptop."),
    "replayed_request": (401, "Permintaan ini sudah pernah dipakai (nonce berulang)."),
    "wrong_device": (403, "Batch menyebut perangkat lain."),
    "too_large": (413, "Batch terlalu besar."),
    # raised by the agent, never sent by central: an answer central did not sign
    "bad_central_signature": (502, ("Jawaban pusat tidak dapat diperiksa dengan kunci pusat yang "
                                    "disematkan saat pendaftaran; jawaban diabaikan, data di "
                                    "laptop ini tetap menunggu.")),
}


class ProtocolError(Exception):
    """A batch or signed request refused by the protocol checks."""

    def __init__(self, code: str, detail: str = "", message: str | None = None) -> None:
        if code not in PROTOCOL_ERRORS:
            raise ValueError(f"unknown protocol error code {code!r}")
        self.code = code
        self.status, self.message = PROTOCOL_ERRORS[code]
        if message is not None:  # the table's text made specific (versions named)
            self.message = message
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)
