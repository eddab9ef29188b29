"""The one list of errors berjasa answers with: each has a stable English ``code``,
an HTTP status and a message in Bahasa Indonesia. Handlers turn any
:class:`Problem` into the one JSON error shape::

    {"code": "duplicate_nik", "message": "...", ...extra fields}

Validation errors add ``errors`` (field -> messages) and ``error_codes``
(field -> codes), in the same order.
"""

from __future__ import annotations

from typing import Any

from berjasa.local_time import wita


class Problem(Exception):
    """A domain error with a stable code and an HTTP status."""

    status = 400
    code = "bad_request"
    message = "Permintaan tidak dapat diproses."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of this error."""
        return {"code": self.code, "message": self.message, **self.extra}


class MalformedJson(Problem):
    """The body is not valid JSON, or not a JSON object."""

    code = "malformed_json"
    message = "Isi permintaan bukan JSON yang sah."


class Unauthorized(Problem):
    """No valid credentials."""

    status = 401
    code = "unauthorized"
    message = "Silakan masuk terlebih dahulu (token tidak ada, salah, atau kedaluwarsa)."


class BadCredentials(Unauthorized):
    """Username or password wrong."""

    code = "bad_credentials"
    message = "Nama pengguna atau kata sandi salah."


class Forbidden(Problem):
    """The role may not do this."""

    status = 403
    code = "forbidden"
    message = "Peran Anda tidak diizinkan melakukan ini."


class NotFound(Problem):
    """No such record (or not visible to this user)."""

    status = 404
    code = "not_found"
    message = "Data tidak ditemukan."


class IdConflict(Problem):
    """The same client id arrived with different content."""

    status = 409
    code = "id_conflict"
    message = "ID ini sudah dipakai untuk data yang berbeda."


class DuplicateNik(Problem):
    """The NIK already has an active enrollment."""

    status = 409
    code = "duplicate_nik"
    message = "NIK ini sudah terdaftar."


class RecordErased(Problem):
    """The record id belongs to a person erased under UU PDP (a phone resending it)."""

    status = 409
    code = "erased"
    message = ("Data ini sudah dihapus atas permintaan pemiliknya (UU PDP) dan tidak diterima "
               "lagi; hapus dari HP. Pendataan ulang dengan persetujuan baru dibuat sebagai data baru.")


class InvalidTransition(Problem):
    """The record's status forbids this action."""

    status = 409
    code = "invalid_transition"
    message = "Status data tidak mengizinkan tindakan ini."


class VersionMismatch(Problem):
    """If-Match names an older version."""

    status = 412
    code = "version_mismatch"
    message = "Data sudah diubah orang lain; muat ulang lalu ulangi perubahan Anda."


class PayloadTooLarge(Problem):
    """The body is over the size limit."""

    status = 413
    code = "payload_too_large"
    message = "Isi permintaan terlalu besar."


class UnsupportedMediaType(Problem):
    """The body is not application/json."""

    status = 415
    code = "unsupported_media_type"
    message = "Isi permintaan harus berformat application/json."


class ValidationFailed(Problem):
    """One or more fields are invalid; all are named."""

    status = 422
    code = "validation_error"
    message = "Ada isian yang tidak valid."

    def __init__(self, errors: dict[str, list[str]], error_codes: dict[str, list[str]],
                 message: str | None = None) -> None:
        super().__init__(message, errors=errors, error_codes=error_codes)
        self.errors = errors
        self.error_codes = error_codes


class PreconditionRequired(Problem):
    """A PATCH without If-Match."""

    status = 428
    code = "if_match_required"
    message = "Sertakan header If-Match berisi versi data yang Anda ubah."


class TooManyAttempts(Problem):
    """Too many failed logins; try later."""

    status = 429
    code = "too_many_attempts"
    message = "Terlalu banyak percobaan masuk yang gagal. Coba lagi nanti."

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        seconds = extra.get("retry_after")
        if message is None and isinstance(seconds, int) and seconds > 0:
            message = (f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam "
                       f"{-(-seconds // 60)} menit, atau minta admin mengganti kata sandi.")
        super().__init__(message, **extra)


class MakerChecker(Forbidden):
    """A supervisor may not decide on a record they recorded or last edited."""

    code = "maker_checker"
    message = ("Anda tidak boleh memutuskan data yang Anda catat atau ubah sendiri; "
               "minta pengawas lain memeriksanya (prinsip empat mata).")


class CsrfFailed(Problem):
    """A page form arrived without the token of this session (forged or expired)."""

    code = "csrf_failed"
    message = ("Formulir ini tidak sah atau sudah kedaluwarsa (token keamanan tidak cocok). "
               "Muat ulang halaman lalu coba lagi.")


class CrossSiteRequest(Forbidden):
    """A request with side effects (a download that marks records or is written to the
    trail) that another site started: a link in an e-mail, a page elsewhere."""

    code = "cross_site_request"
    message = ("Unduhan ini hanya dapat dimulai dari halaman kantor pusat sendiri; permintaan "
               "dari situs atau aplikasi lain ditolak dan tidak dicatat. Buka dasbor lalu unduh "
               "dari bagian Unduhan.")


# Central registry (central/): devices, batches and the sync protocol.


class DeviceRevoked(Problem):
    """The device's registration was revoked at central."""

    status = 403
    code = "device_revoked"
    message = "Perangkat ini sudah dicabut di pusat; daftarkan ulang dengan kode baru."


class WrongKelurahan(Problem):
    """The batch or registration names another kelurahan than the device's."""

    status = 403
    code = "wrong_kelurahan"
    message = "Kode kelurahan tidak sesuai dengan perangkat yang terdaftar."


class RegistrationCodeInvalid(Problem):
    """The one-time code is unknown or already used."""

    status = 403
    code = "registration_code_invalid"
    message = "Kode pendaftaran perangkat tidak dikenal atau sudah dipakai."


class RegistrationCodeExpired(Problem):
    """The one-time code is past its lifetime."""

    status = 403
    code = "registration_code_expired"
    message = "Kode pendaftaran perangkat sudah kedaluwarsa; minta kode baru ke pusat."


class BatchConflict(Problem):
    """The same batch id arrived with other content."""

    status = 409
    code = "batch_conflict"
    message = "ID batch ini sudah dipakai untuk isi yang berbeda."


class SyncProtocolRefused(Problem):
    """A batch or signed request failed a sync-protocol check (code from sync.protocol_errors)."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class BadFilter(ValidationFailed):
    """A filter in the query string is not one of the values offered (400)."""

    status = 400
    code = "invalid_filter"
    message = "Filter tidak sah."


class StorageFull(Problem):
    """The disk is full: nothing of this request was stored (the transaction rolled back)."""

    status = 507
    code = "storage_full"
    message = ("Penyimpanan laptop penuh: data ini TIDAK tersimpan. Kosongkan ruang disk, lalu "
               "kirim ulang (data di HP tetap aman).")


class ExportRefused(Problem):
    """The export cannot be made as asked (e.g. a final payment list with an
    unconfirmed band: ask for the draft)."""

    status = 409
    code = "export_refused"


class NotActiveAtCentral(Problem):
    """The record is not (any more) an active record at central."""

    status = 409
    code = "not_active"
    message = "Data ini tidak lagi aktif di pusat; tidak dapat dikirim balik."


class RegisteredAtCentral(NotActiveAtCentral):
    """The record is registered at BPJS (it has a KPJ): it is not waiting for
    registration, so it cannot be sent back to its kelurahan to be fixed (the
    kelurahan holds it registered and cannot edit it)."""

    code = "already_registered"
    message = ("Data ini sudah terdaftar di BPJS dan tidak dapat dikirim balik ke kelurahan; "
               "perubahan data peserta diajukan ke BPJS Ketenagakerjaan.")


class KeptRecordNotActive(NotActiveAtCentral):
    """A pair decision would keep a record central no longer holds as active."""

    message = ("Data yang akan dipertahankan tidak lagi aktif di pusat; pilih data yang lain "
               "atau \"Orang berbeda\".")


class KeptByPairDecision(Problem):
    """Rejecting a record a pair decision kept would leave that person with no
    active record (the other one is its duplicate)."""

    status = 409
    code = "kept_by_pair_decision"
    message = ("Data ini dipertahankan oleh keputusan pasangan (sama orang); menolaknya "
               "membuat orang ini tanpa data aktif.")


class RegisteredAtBpjs(Problem):
    """A decision would take a registered record (a BPJS participant with a KPJ, on
    the city's payment list) out of its registration: a pair decision dropping it,
    or a verifier's rejection. Registered records keep their registration."""

    status = 409
    code = "registered_at_bpjs"
    message = ("Data ini sudah terdaftar di BPJS (punya KPJ dan masuk daftar iuran); "
               "pendaftarannya tidak dapat dibatalkan di pusat.")


class AlreadySentBack(Problem):
    """The record was sent back already and its fix has not arrived."""

    status = 409
    code = "already_sent_back"
    message = "Data ini sudah dikirim balik dan perbaikannya belum diterima."


class AlreadyDecided(Problem):
    """Decided already (by another verifier, or by the same one in another tab)."""

    status = 409
    code = "already_decided"
    message = "Sudah diputuskan sebelumnya."

    @classmethod
    def by(cls, decided: dict) -> AlreadyDecided:
        """The refusal naming who decided and when (a finding's or a pair's row)."""
        who, when = decided.get("decided_by"), decided.get("decided_at")
        if not who:
            return cls()
        return cls(f"Sudah diputuskan oleh {who}" + (f" ({wita(when)})" if when else "") + ".")


class ClockDistrusted(Problem):
    """The laptop's clock is in doubt, so nothing is dated by it (the retention purge)."""

    status = 409
    code = "clock_distrusted"
    message = ("Jam laptop diragukan (pusat menolaknya, atau jauh dari waktu yang sudah "
               "tersimpan); periksa tanggal dan jam laptop.")
