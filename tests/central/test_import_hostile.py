"""Hostile and broken import files (docs/central.md "Hostile files"): zip bombs, XML
entity tricks, a zip whose declared sizes lie, a sheet that claims a million rows, a CSV
of one endless line, NUL bytes, a device instead of a file. Each is refused by
``berjasa central import`` in one Indonesian line naming the file and the reason, stores
nothing and leaves the list in force as it was, within a few seconds of CPU and a bounded
amount of memory (the bombs are written streaming: no test holds their expanded size).

The helpers that build the files live here (tests/helpers.py is the lead's)."""

from __future__ import annotations

import random
import re
import signal
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from central.import_reading import ImportFileError
from central.imports import import_file

from .test_cli import berjasa

NIK_A, NIK_B, NIK_C = "7371014101900001", "7371014101900002", "7371014101900003"
MB = 1 << 20
SHEET = "xl/worksheets/sheet1.xml"
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
LAUGHS = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))


class _TooSlow(Exception):
    pass


@contextmanager
def _bounded(cpu_seconds: float = 20, megabytes: int = 100) -> Iterator[None]:
    """Fail when the block takes more CPU (a timer interrupts it: a bomb that would run for
    hours ends the test) or allocates more at once (tracemalloc's peak) than given."""
    def stop(*_):
        raise _TooSlow(f"more than {cpu_seconds} s of CPU")
    previous = signal.signal(signal.SIGPROF, stop)
    tracemalloc.start()
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        tracemalloc.stop()
    assert peak < megabytes * MB, f"peak {peak / MB:.0f} MB"


def _list_book(path: Path, rows: int = 1) -> Path:
    """A DTSEN list as openpyxl saves it (NIK column as text)."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "DTSEN"
    sheet.append(["nik", "desil"])
    for n in range(rows):
        sheet.append([f"73710141019{n + 3:05d}", 2])
        sheet.cell(row=n + 2, column=1).number_format = "@"
    book.save(path)
    return path


def _rezip(base: Path, out: Path, replace: dict[str, bytes | Callable] | None = None,
           extra: dict[str, bytes | Callable] | None = None, method: int = zipfile.ZIP_DEFLATED,
           lie: dict[str, int] | None = None) -> Path:
    """``base`` with members replaced or added: bytes, or a function writing the member to
    an open stream (a bomb written block by block); ``lie``: the uncompressed size the zip's
    directory declares for a member (the real data is longer)."""
    replace, extra, lie = replace or {}, extra or {}, lie or {}
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(out, "w", method) as target:
        members = [(i.filename, replace.get(i.filename, None) or source.read(i)) for i in source.infolist()]
        for name, content in [*members, *extra.items()]:
            if callable(content):
                with target.open(name, "w") as stream:
                    content(stream)
            else:
                target.writestr(name, content)
            if name in lie:
                target.getinfo(name).file_size = lie[name]  # the directory is written at close
    return out


def _fill(size: int, byte: bytes = b"\0") -> Callable:
    """A member writer: ``size`` bytes of ``byte``, a megabyte at a time."""
    def write(stream) -> None:
        block = byte * MB
        for _ in range(size // MB):
            stream.write(block)
    return write


def _sheet(rows: str, dimension: str = "") -> bytes:
    head = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {MAIN}>{dimension}<sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>nik</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>desil</t></is></c></row>')
    return (head + rows + "</sheetData></worksheet>").encode()


def _nik_row(row: int, nik: str = NIK_C) -> str:
    return (f'<row r="{row}"><c r="A{row}" t="inlineStr"><is><t>{nik}</t></is></c>'
            f'<c r="B{row}"><v>2</v></c></row>')


def _with_dtd(xml: bytes, subset: str, replace: tuple[str, str] = ("", "")) -> bytes:
    """``xml`` with a DOCTYPE (internal subset ``subset``) before its root element."""
    text = xml.decode()
    start = text.find("?>") + 2 if text.startswith("<?xml") else 0
    root = re.match(r"\s*<([A-Za-z_][\w:.-]*)", text[start:])[1]
    return f"{text[:start]}<!DOCTYPE {root} [{subset}]>{text[start:].replace(*replace)}".encode()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A one-row DTSEN workbook as openpyxl saves it, the start of every hostile one."""
    return _list_book(tmp_path_factory.mktemp("base") / "base.xlsx")


@pytest.fixture(scope="module")
def files(tmp_path_factory, base) -> dict[str, tuple[Path, str]]:
    """{case: (the file, what its one-line refusal must say)}, built once. Each is as small
    as its limit allows (a bomb: a few MB, past the ratio's 1 MiB grace, that compress
    hundreds of times), so building them all costs a tenth of a second."""
    folder = tmp_path_factory.mktemp("hostile")
    with zipfile.ZipFile(base) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    rows_bomb = _sheet("")[:-len(b"</sheetData></worksheet>")]

    def endless_rows(stream) -> None:
        stream.write(rows_bomb)
        block = b"<row/>" * (MB // 6)
        for _ in range(2):
            stream.write(block)
        stream.write(b"</sheetData></worksheet>")

    def padded_sheet(stream) -> None:  # valid XML, then 3 MB of spaces the directory hides
        xml = _sheet(_nik_row(2))
        stream.write(xml[:-len(b"</sheetData></worksheet>")])
        _fill(3 * MB, b" ")(stream)
        stream.write(b"</sheetData></worksheet>")

    cases: dict[str, tuple[Path, str]] = {}

    def case(name: str, reason: str, **how) -> None:
        cases[name] = (_rezip(base, folder / f"{name}.xlsx", **how), reason)

    # zip bombs: 2 MB of zeros as the theme (openpyxl reads it whole, unparsed), a sheet
    # of 2 MB of valid empty rows (openpyxl would stream 350,000 of them), 512 KB members
    # each under the ratio's grace that expand 400 times the file together
    case("theme-zeros", r"xl/theme/theme1\.xml.*dipadatkan [\d.]+ kali", replace={
        "xl/theme/theme1.xml": _fill(2 * MB)})
    case("endless-rows", r"xl/worksheets/sheet1\.xml.*dipadatkan [\d.]+ kali", replace={SHEET: endless_rows})
    case("many-small-bombs", r"membengkak .* kali ukuran berkasnya", extra={
        f"xl/media/pad{n}.bin": b"\0" * (MB // 2) for n in range(8)})
    case("too-many-parts", r"1\.109 bagian .*batas 1\.000", extra={
        f"customXml/item{n}.xml": b"<a/>" for n in range(1_100)})
    # a part read whole past its limit (declared: nothing reads it to find out; its
    # compressed size keeps the ratio under 100)
    case("part-too-large", r"xl/sharedStrings\.xml berukuran 40 MB.*batas 32 MB", extra={
        "xl/sharedStrings.xml": random.Random(9).randbytes(MB // 2)}, lie={"xl/sharedStrings.xml": 40 * MB})
    # the directory says 512 KB, the member holds 3 MB: never more than declared is read
    case("size-lie", r"xl/worksheets/sheet1\.xml.*tidak cocok dengan ukuran", replace={SHEET: padded_sheet},
         lie={SHEET: MB // 2})
    case("bzip2", r"metode pemadatan bzip2", method=zipfile.ZIP_BZIP2)
    # XML: entity expansion (the billion laughs) and external entities, in the parts each
    # parser reads: openpyxl's lxml ([Content_Types].xml, workbook.xml, core.xml), its
    # defusedxml (sheets, shared strings) and ours (relationships)
    laughs = f'<!ENTITY e0 "ha">{LAUGHS}'
    case("laughs-content-types", r"\[Content_Types\]\.xml.*DTD", replace={
        "[Content_Types].xml": _with_dtd(parts["[Content_Types].xml"], laughs)})
    case("laughs-sheet", r"xl/worksheets/sheet1\.xml.*DTD", replace={
        SHEET: _with_dtd(parts[SHEET], laughs, (f">{NIK_C}<", ">&e9;<"))})
    case("laughs-core", r"docProps/core\.xml.*DTD", replace={
        "docProps/core.xml": _with_dtd(parts["docProps/core.xml"], laughs)})
    case("external-entity", r"xl/workbook\.xml.*DTD", replace={
        "xl/workbook.xml": _with_dtd(parts["xl/workbook.xml"], '<!ENTITY x SYSTEM "file:///etc/passwd">',
                                     ('name="DTSEN"', 'name="&x;"'))})
    case("external-dtd", r"_rels/\.rels.*DTD", replace={
        "_rels/.rels": b'<!DOCTYPE Relationships SYSTEM "http://127.0.0.1:9/x.dtd">' + parts["_rels/.rels"]})
    case("utf7", r"xl/styles\.xml.*UTF-7", replace={
        "xl/styles.xml": b'<?xml version="1.0" encoding="UTF-7"?>' + parts["xl/styles.xml"]})
    # a sheet past Excel's last row (openpyxl would hand out the empty rows before it)
    case("row-past-excel", r"di bawah baris 1\.048\.576", replace={
        SHEET: _sheet(_nik_row(2) + _nik_row(2_000_000, NIK_B))})
    case("long-cell", r"sel A2: 40\.000 karakter.*32\.767", replace={
        SHEET: _sheet(_nik_row(2, "7" * 40_000))})
    # CSV: one endless line, a file of NUL bytes, a device that never ends
    endless = folder / "endless.csv"
    endless.write_bytes(f"nik,desil\n{NIK_C},2\n".encode() + b"a," * (5 * MB // 8))
    cases["endless-line"] = (endless, r"baris 3 lebih dari 1 MB")
    nul = folder / "nul.csv"
    nul.write_bytes(bytes(100_000))
    cases["nul-bytes"] = (nul, r"byte NUL")
    cases["device"] = (Path("/dev/zero"), r"bukan berkas biasa")
    return cases


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """The modules an import loads, loaded before anything is measured."""
    import openpyxl.reader.excel  # noqa: F401

    import central.import_workbook  # noqa: F401


@pytest.fixture
def store(migrated_database_url):
    from central.storage.db import Database
    db = Database(migrated_database_url)
    yield db
    db.close()


def _office(database_url: str, tmp_path: Path) -> Path:
    folder = tmp_path / "pusat"
    berjasa("central", "init", "--database", database_url, data_dir=folder)
    good = tmp_path / "dtsen.csv"
    good.write_text(f"nik,desil\n{NIK_A},2\n{NIK_B},3\n", encoding="utf-8")
    berjasa("central", "import", "dtsen", str(good), data_dir=folder)
    return folder


def _held(folder: Path) -> tuple:
    """What an import could change: the list in force, the imports, the trail, the files."""
    from central.cli_db import central_db
    with central_db(folder) as (db, _, data):
        return (sorted(r["nik"] for r in db.query("SELECT nik FROM dtsen")),
                db.query("SELECT id, kind, file_sha256 FROM imports ORDER BY id"),
                db.query("SELECT seq, action FROM audit_log ORDER BY seq"),
                sorted(p.name for p in (data / "imports").iterdir()))


# openpyxl hands out each of the million empty rows before a row past Excel's last: seconds
# of CPU under tracemalloc. CI runs it; the quick loop leaves it out (tests/conftest.py).
DEAR = {"row-past-excel"}


@pytest.mark.parametrize("dear", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["cheap", "dear"])
def test_every_hostile_file_is_refused_in_one_line_and_changes_nothing(database_url, tmp_path, files, dear):
    folder = _office(database_url, tmp_path)
    before = _held(folder)
    assert before[0] == [NIK_A, NIK_B]
    assert DEAR <= set(files)
    for name, (path, reason) in files.items():
        if (name in DEAR) != dear:
            continue
        with _bounded():
            done = berjasa("central", "import", "dtsen", str(path), data_dir=folder, check=False)
        assert done.returncode == 1 and "Traceback" not in done.stderr, (name, done.stderr[-2000:])
        [line] = [line for line in done.stderr.splitlines() if line.strip()]
        assert path.name in line and re.search(reason, line), (name, line)
        assert line.endswith("data lama tidak diganti"), (name, line)
        assert "root:" not in line and "\x1b" not in line
        assert _held(folder) == before, name


def test_openpyxl_parses_without_entities_and_our_check_runs_first(tmp_path, files):
    """openpyxl reads sheets and shared strings through defusedxml (installed: entities
    refused) and the other parts through lxml without resolving entities; the archive check
    refuses a DTD in any part before either runs, naming the part."""
    import openpyxl
    from openpyxl.xml import functions

    from central.import_archive import check_workbook

    assert openpyxl.DEFUSEDXML and functions.iterparse.__module__.startswith("defusedxml")
    outside = functions.fromstring(b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>')
    assert outside.text is None and "root:" not in str(list(outside))  # lxml: not resolved
    with pytest.raises(Exception, match="amplification|[Ee]ntit"):  # libxml2's own limit
        functions.fromstring(f'<!DOCTYPE a [<!ENTITY e0 "ha">{LAUGHS}]><a>&e9;</a>'.encode())
    for name in ("laughs-content-types", "laughs-core", "external-entity"):
        with pytest.raises(ImportFileError, match="DTD"):
            check_workbook(files[name][0], 1 << 30)


def test_the_limit_is_the_setting_for_a_csv_and_a_workbook(store, tmp_path):
    csv_file = tmp_path / "d.csv"
    csv_file.write_text(f"nik,desil\n{NIK_A},2\n{NIK_B},3\n", encoding="utf-8")
    book = _list_book(tmp_path / "d.xlsx", rows=300)
    small = {"central_import_max_bytes": 30_000}
    with pytest.raises(ImportFileError, match=r"d\.xlsx: .*central_import_max_bytes"):
        import_file(store, book, "dtsen", tmp_path, small)
    with pytest.raises(ImportFileError, match=r"d\.csv: .*central_import_max_bytes"):
        import_file(store, csv_file, "dtsen", tmp_path, {"central_import_max_bytes": 20})
    assert store.query("SELECT id FROM imports") == []
    assert import_file(store, book, "dtsen", tmp_path, {})["accepted"] == 300


@pytest.mark.parametrize("dimension", ['<dimension ref="A1:XFD1048576"/>', '<dimension ref="A1:B2"/>'])
def test_a_dimension_record_that_lies_neither_costs_time_nor_drops_rows(store, tmp_path, base, dimension):
    """openpyxl's read-only mode pads every row to the sheet's declared dimension and stops at
    its last row: a tiny file claiming A1:XFD1048576 cost 17 billion cells, a record
    smaller than the data dropped the rows after it without a word."""
    book = _rezip(base, tmp_path / "dim.xlsx", replace={
        SHEET: _sheet(_nik_row(2) + _nik_row(3, NIK_A) + _nik_row(4, NIK_B), dimension)})
    with _bounded(cpu_seconds=10):
        summary = import_file(store, book, "dtsen", tmp_path, {})
    assert (summary["read"], summary["accepted"]) == (3, 3)


def test_csv_starting_with_a_utf32_bom_and_a_header_with_escapes(store, tmp_path):
    text = tmp_path / "utf32.csv"
    text.write_bytes(f"nik,desil\r\n{NIK_A},2\r\n".encode("utf-32"))
    assert import_file(store, text, "dtsen", tmp_path, {})["accepted"] == 1
    escaped = tmp_path / "esc.csv"
    escaped.write_text("\x1b[2J\x1b]0;pwned\x07nama,umur\nA,1\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="kolom terbaca") as refused:
        import_file(store, escaped, "dtsen", tmp_path, {})
    assert all(c.isprintable() for c in str(refused.value))


def test_a_nul_in_a_csv_row_still_refuses_only_that_row(store, tmp_path):
    path = tmp_path / "nul-row.csv"
    path.write_bytes(f"nik,nama,desil\n{NIK_A},Ani,2\n{NIK_B},B\0b,3\n".encode())
    summary = import_file(store, path, "dtsen", tmp_path, {})
    assert (summary["accepted"], summary["rejected"]) == (1, 1)


def test_a_member_that_yields_more_than_it_declares_is_stopped_and_named():
    """zipfile itself stops at the declared size; the cap holds for any stream that does not."""
    import io

    from central.import_archive import _Capped, lie_in
    info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
    info.file_size = 5
    with pytest.raises(zipfile.BadZipFile) as lied:
        _Capped(io.BytesIO(b"x" * MB), info).read()
    assert lie_in(lied.value) == "xl/worksheets/sheet1.xml"
    assert _Capped(io.BytesIO(b"12345"), info).read() == b"12345"


def test_only_a_sheet_that_is_nothing_else_gets_the_sheet_allowance(tmp_path, base):
    """openpyxl streams a worksheet but reads every other part whole: a sheet's path that a
    content type also names as the shared strings keeps the 32 MB limit of a part read whole."""
    from central.import_archive import PART_BYTES, _limits
    with zipfile.ZipFile(base) as plain:
        assert _limits(plain, 1 << 30)[SHEET][0] == 1 << 30
        types = plain.read("[Content_Types].xml")
    aliased = _rezip(base, tmp_path / "aliased.xlsx", replace={"[Content_Types].xml": types.replace(
        b"</Types>", b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
                     b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')})
    with zipfile.ZipFile(aliased) as both:
        assert SHEET not in _limits(both, 1 << 30)
    assert PART_BYTES == 32 << 20
