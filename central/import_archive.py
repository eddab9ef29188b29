"""An XLSX workbook checked as a zip before anything parses it (docs/central.md "Hostile
files"): a 100 KB file must not take gigabytes of memory or minutes of CPU at the office.

An XLSX is a zip of XML parts. Before openpyxl or :mod:`central.import_sheet_xml` reads a
byte of it, :func:`check_workbook` refuses, naming the part:

- more than :data:`MAX_PARTS` members, or a compression method other than stored and
  deflate (the two OOXML allows; zipfile caps what deflate hands out at the declared
  size, but bzip2 and LZMA decompress a whole read block at once, whatever it declares);
- a member whose declared sizes cannot both be true (stored, or deflate, is never more
  than a few bytes larger than its content);
- a member compressed more than :data:`MAX_RATIO` times once it expands past
  :data:`RATIO_GRACE` (Excel's largest sheets compress about 10 to 20 times; a zip bomb of
  zeros 1,000 times), or the workbook as a whole expanding more than that over its file;
- a member larger than its limit, all derived from ``central_import_max_bytes`` (the
  largest import central reads, a CSV's size or a workbook's content once unzipped):
  a sheet that only openpyxl's streaming reader reads, that limit; the shared strings (a
  list openpyxl holds in memory), a quarter of it; every other part (styles, the workbook,
  relationships, properties: read whole), :data:`PART_BYTES`; and all of them together,
  the limit again;
- a DTD (``<!DOCTYPE``) in any XML part, and an XML encoding other than UTF-8 and UTF-16
  (ECMA-376 Part 2, M1.18 and M1.17: a DTD is how entities expand, the billion laughs, or
  reach outside the file; another encoding would hide one from this check).

Reading is capped as well: :func:`open_member` never hands out more bytes than the member
declares (a zip's directory can lie about a size; zipfile then stops at the declared size
and reports the CRC mismatch, which :func:`lie_in` recognises).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from typing import IO, Any

from berjasa.number_text import thousands
from central.import_reading import ImportFileError, size_text

MAX_PARTS = 1_000
MAX_RATIO = 100
RATIO_GRACE = 1 << 20
PART_BYTES = 32 << 20
PROLOG_BYTES = 1 << 16
_METHODS = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA", 9: "deflate64", 93: "zstandard"}
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml")
_SHARED_STRINGS = "xl/sharedstrings.xml"
_SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_AGAIN = ("berkas tidak dibaca. Bila berkas ini memang disimpan Excel, buka lalu simpan lembar "
          "daftarnya sebagai CSV UTF-8 dan impor berkas itu; data lama tidak diganti")


def _shown(name: str) -> str:
    """A member's name as a message shows it (the file chooses it: one line, no ESC, cut)."""
    text = "".join(c if c.isprintable() else "?" for c in name)
    return text if len(text) <= 80 else text[:77] + "..."


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_workbook(path: Path, max_bytes: int) -> None:
    """Refuse ``path`` (an ImportFileError naming the file, the part and the reason) when
    unzipping or parsing it could cost more than an import of ``max_bytes`` (module
    docstring); nothing else is read."""
    try:
        with zipfile.ZipFile(path) as archive:
            _check(archive, path.stat().st_size, max_bytes)
    except _Refused as refused:
        raise ImportFileError(f"{path.name}: {refused.reason}; {_AGAIN}") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        raise unreadable(path.name, exc) from exc


def unreadable(name: str, exc: BaseException) -> ImportFileError:
    """The one line for a workbook that cannot be read, naming a part whose content did not
    match what the zip declared (:func:`lie_in`)."""
    member = lie_in(exc)
    if member is not None:
        return ImportFileError(
            f"{name}: isi bagian {_shown(member)} tidak cocok dengan ukuran dan CRC yang dinyatakan "
            f"daftar isi zip-nya (berkas rusak, atau dibuat untuk mengelabui pemeriksaan ukuran); {_AGAIN}")
    return ImportFileError(f"{name} tidak terbaca sebagai buku kerja Excel (XLSX): simpan ulang dari "
                           f"Excel, atau simpan sebagai CSV UTF-8; data lama tidak diganti")


def _check(archive: zipfile.ZipFile, file_size: int, max_bytes: int) -> None:
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise _Refused(f"berisi {thousands(len(infos))} bagian (batas {thousands(MAX_PARTS)}; buku "
                       f"kerja Excel berisi belasan sampai ratusan)")
    for info in infos:
        _check_declared(info)
    total = sum(info.file_size for info in infos)
    if total > RATIO_GRACE and total > MAX_RATIO * file_size:
        raise _Refused(f"isinya membengkak menjadi {size_text(total)} bila dibuka, {thousands(total // file_size)} "
                       f"kali ukuran berkasnya (batas {MAX_RATIO} kali): tanda bom dekompresi")
    limits = _limits(archive, max_bytes)
    whole = "bagian yang dibaca utuh" + (" (pengaturan central_import_max_bytes)" if max_bytes < PART_BYTES else "")
    for info in infos:
        limit, what = limits.get(info.filename.casefold(), (min(PART_BYTES, max_bytes), whole))
        if info.file_size > limit:
            raise _Refused(f"bagian {_shown(info.filename)} berukuran {size_text(info.file_size)} bila dibuka, "
                           f"di atas batas {size_text(limit)} untuk {what}")
    if total > max_bytes:
        raise _Refused(f"isinya {size_text(total)} bila dibuka, di atas batas impor {size_text(max_bytes)} "
                       f"(pengaturan central_import_max_bytes)")
    for info in infos:
        _check_prolog(archive, info)


def _check_declared(info: zipfile.ZipInfo) -> None:
    """A member's method, and its declared sizes: possible, and not a bomb's ratio."""
    name = _shown(info.filename)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
        method = "enkripsi zip" if info.flag_bits & 1 else _METHODS.get(info.compress_type,
                                                                          f"nomor {info.compress_type}")
        raise _Refused(f"bagian {name} memakai metode pemadatan {method}; buku kerja Excel hanya memakai "
                       f"deflate (atau tanpa pemadatan)")
    if info.compress_size > info.file_size + info.file_size // 8192 + 64 or (
            info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size):
        raise _Refused(f"bagian {name} dinyatakan {size_text(info.file_size)} setelah dibuka, padahal isinya "
                       f"yang dipadatkan saja {size_text(info.compress_size)}: ukuran yang dinyatakan tidak "
                       f"mungkin benar")
    if info.file_size > RATIO_GRACE and info.file_size > MAX_RATIO * info.compress_size:
        raise _Refused(f"bagian {name} dipadatkan {thousands(info.file_size // max(info.compress_size, 1))} kali "
                       f"({size_text(info.compress_size)} menjadi {size_text(info.file_size)}; batas {MAX_RATIO} "
                       f"kali, buku kerja Excel belasan kali): tanda bom dekompresi")


def _limits(archive: zipfile.ZipFile, max_bytes: int) -> dict[str, tuple[int, str]]:
    """{member, casefolded: (its limit, what it is)} for the parts allowed more than
    :data:`PART_BYTES`: the sheets that are nothing but a sheet (a sheet's path named by a
    worksheet relationship of the workbook, no other relationship and no other content
    type naming it: openpyxl streams those) and the shared strings."""
    setting = "pengaturan central_import_max_bytes"
    types: dict[str, set[str]] = {}
    for element in _parsed(archive, "[Content_Types].xml"):
        if _local(element) == "Override":
            part = (element.get("PartName") or "").lstrip("/").casefold()
            types.setdefault(part, set()).add(element.get("ContentType") or "")
    roles: dict[str, set[str]] = {}  # part: the relationship types naming it
    for rels in [n for n in archive.namelist() if n.endswith(".rels")]:
        folder = posixpath.dirname(posixpath.dirname(rels))
        for element in _parsed(archive, rels):
            if _local(element) != "Relationship" or element.get("TargetMode") == "External":
                continue
            target = element.get("Target") or ""
            part = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            kind = (element.get("Type") or "").rpartition("/")[2]
            if kind == "worksheet" and not rels.endswith("/workbook.xml.rels"):
                kind = "worksheet elsewhere"
            roles.setdefault(part.casefold(), set()).add(kind)
    limits = {part: (max_bytes, f"satu lembar ({setting})") for part, kinds in roles.items()
              if kinds == {"worksheet"} and _WORKSHEET.fullmatch(part)
              and types.get(part, {_SHEET_TYPE}) == {_SHEET_TYPE}}
    if types.get(_SHARED_STRINGS) == {_SHARED_STRINGS_TYPE} and roles.get(_SHARED_STRINGS, set()) <= {"sharedStrings"}:
        limits[_SHARED_STRINGS] = (max_bytes // 4, f"daftar teks bersama (seperempat batas impor, {setting})")
    return limits


def _local(element: Any) -> str:
    return element.tag.rpartition("}")[2]


def _parsed(archive: zipfile.ZipFile, name: str) -> list[Any]:
    """The elements of a small package part (content types, relationships), read within
    :data:`PART_BYTES`, through defusedxml with no DTD; none when the part is absent."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring

    try:
        info = archive.getinfo(name)
    except KeyError:
        return []
    if info.file_size > PART_BYTES:
        raise _Refused(f"bagian {_shown(name)} berukuran {size_text(info.file_size)} bila dibuka, di atas "
                       f"batas {size_text(PART_BYTES)} untuk bagian yang dibaca utuh")
    with open_member(archive, info) as source:
        data = source.read()
    try:
        return list(fromstring(data, forbid_dtd=True).iter())
    except DefusedXmlException:
        raise _Refused(_DTD.format(name=_shown(name))) from None
    except ParseError:
        return []  # damaged: openpyxl says so in its own words


_DTD = ("bagian {name} memuat DTD (<!DOCTYPE ...>): buku kerja Excel tidak pernah memuatnya, dan "
        "lewat DTD sebuah XML dapat membengkak (entitas bersarang) atau membaca berkas lain")
_XML_DECLARATION = re.compile(r"<\?xml\s[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_PROLOG_ITEM = re.compile(r"\s*(<\?.*?\?>|<!--.*?-->)", re.DOTALL)


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a DTD, or an encoding other than UTF-8 or UTF-16, in a member that is XML;
    a member that does not start as XML (an image) is left alone: no XML parser reads it
    without failing at its first byte."""
    with open_member(archive, info) as source:
        start = source.read(PROLOG_BYTES)
    if start[:2] in (b"\xff\xfe", b"\xfe\xff") or start[:2] in (b"<\0", b"\0<"):
        text = start.decode("utf-16-be" if start[:1] in (b"\xfe", b"\0") else "utf-16-le", "replace")
    else:
        text = start.decode("utf-8", "replace")
    text = text.lstrip("\ufeff")
    if not text.lstrip().startswith("<"):
        return
    position = 0
    while match := _PROLOG_ITEM.match(text, position):
        declared = _XML_DECLARATION.match(match.group(1))
        if declared and declared.group(1).strip().lower().replace("_", "-") not in (
                "utf-8", "utf8", "utf-16", "utf-16le", "utf-16be"):
            raise _Refused(f"bagian {_shown(info.filename)} memakai pengodean {_shown(declared.group(1))[:20]}; "
                           f"buku kerja Excel hanya memakai UTF-8 atau UTF-16")
        position = match.end()
    rest = text[position:].lstrip()
    if rest.startswith("<!"):
        raise _Refused(_DTD.format(name=_shown(info.filename)))
    if not rest and len(start) == PROLOG_BYTES:  # comments and instructions past 64 KB
        raise _Refused(f"bagian {_shown(info.filename)} berawal dengan lebih dari {size_text(PROLOG_BYTES)} "
                       f"komentar atau instruksi XML; buku kerja Excel tidak pernah begitu")


class _Capped(io.RawIOBase):
    """A member's stream that never hands out more than the member declares (a reader
    that trusted the directory less than zipfile does would stop here too)."""

    def __init__(self, stream: IO[bytes], info: zipfile.ZipInfo) -> None:
        super().__init__()
        self.stream, self.info, self.left = stream, info, info.file_size

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.stream.read(self.left + 1 if size is None or size < 0 else min(size, self.left + 1))
        self.left -= len(data)
        if self.left < 0:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {self.info.filename!r}: more than declared")
        return data

    def close(self) -> None:
        try:
            self.stream.close()
        finally:
            super().close()


def open_member(archive: zipfile.ZipFile, member: str | zipfile.ZipInfo) -> _Capped:
    """``archive.open(member)``, capped at the member's declared size."""
    info = member if isinstance(member, zipfile.ZipInfo) else archive.getinfo(member)
    return _Capped(archive.open(info), info)


_LIE = re.compile(r"Bad CRC-32 for file '(.*)'")


def lie_in(exc: BaseException | None) -> str | None:
    """The member whose content did not match its declared size and CRC, when ``exc`` or an
    exception it came from says so; else None."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, zipfile.BadZipFile):
            found = _LIE.match(str(exc))
            if found:
                return found.group(1)
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None
