"""Operating-system errors in Bahasa Indonesia, for the one line a command prints.

``OSError.strerror`` is the C library's English ("No space left on device"); the
operator reads Indonesian, so the errors an operator can fix are named by errno.
"""

from __future__ import annotations

import errno

_TEXT = {
    errno.ENOENT: "berkas atau folder tidak ada",
    errno.EACCES: "tidak punya izin",
    errno.EPERM: "tidak punya izin",
    errno.ENOTDIR: "bagian jalurnya berkas, bukan folder",
    errno.EISDIR: "itu folder, bukan berkas",
    errno.EEXIST: "sudah ada",
    errno.ENOSPC: "disk penuh; kosongkan ruang lalu ulangi",
    errno.EROFS: "disk hanya bisa dibaca",
    errno.EBUSY: "sedang dipakai program lain",
    errno.ENAMETOOLONG: "nama terlalu panjang",
    errno.EIO: "galat baca/tulis disk",
    errno.EADDRINUSE: "port sudah dipakai program lain",
    errno.ECONNREFUSED: "koneksi ditolak",
}


# Windows' own error numbers (OSError.winerror), where the errno they map to would
# mislead: a file another program has open (Excel holding the export being written) is
# errno EACCES, "no permission", where closing that program is all it takes.
_WINDOWS_TEXT = {
    32: "berkas sedang dibuka program lain (mis. Excel); tutup dulu lalu ulangi",   # sharing violation
    33: "berkas sedang dikunci program lain; tutup dulu lalu ulangi",               # lock violation
    10013: "port tidak boleh dipakai (dicadangkan Windows, mis. untuk Hyper-V/WSL); pilih port lain",
}


def os_error_text(exc: OSError) -> str:
    """What went wrong, in Indonesian (the errno number when it is not a common one)."""
    windows = _WINDOWS_TEXT.get(getattr(exc, "winerror", None) or 0)
    if windows:
        return windows
    known = _TEXT.get(exc.errno) if exc.errno is not None else None
    if known:
        return known
    return f"galat sistem {exc.errno}" if exc.errno is not None else "galat sistem"
