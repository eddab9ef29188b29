"""A workbook's XML read directly, for what openpyxl's read-only mode reads as empty
cells (:mod:`central.import_workbook` refuses the file for them): where each sheet's
XML is in the zip (:func:`sheet_members`), and in one sheet the formula cells without a
stored result and the merged ranges (:func:`scan_sheet`: one streaming pass that only
searches bytes; :func:`formulas_without_value`: the cells parsed one by one, for a sheet
whose cells do not all say where they are).

Where a sheet is: openpyxl knows (its read-only worksheets keep it) but says so only in
a private attribute, so the package is read as ECMA-376 describes it, with the public
zipfile and defusedxml: the package relationship of type ``officeDocument``
(``_rels/.rels``) names the workbook part, the workbook's ``<sheet name=... r:id=...>``
elements name each sheet's relationship, and the workbook's relationships
(``xl/_rels/workbook.xml.rels``) give the part, relative to the workbook's folder or
absolute from the package root (Part 2, Open Packaging Conventions).
"""

from __future__ import annotations

import posixpath
import re
import zipfile

from central.import_archive import open_member

_NS = rb"(?:[A-Za-z_][\w.-]*:)?"
# a formula element followed by no value (group 1: the cell's end), or an empty one
_FORMULA_WITHOUT_VALUE = re.compile(
    rb"(?:</" + _NS + rb"f>|<" + _NS + rb"f\b[^>]*/>)\s*(?:(</" + _NS + rb"c>)|<" + _NS
    + rb"v\s*/>|<" + _NS + rb"v>\s*</" + _NS + rb"v>)")
_CELL_TAG = re.compile(rb"<" + _NS + rb"c\b([^>]*)>")
_ATTR_R = re.compile(rb'(?:^|\s)r="([A-Za-z]{1,3})([0-9]+)"')
_ATTR_T = re.compile(rb'(?:^|\s)t="([^"]*)"')
_MERGE = re.compile(rb"<" + _NS + rb"mergeCell\b[^>]*?\bref=\"([A-Za-z]{1,3}[0-9]+(?::[A-Za-z]{1,3}[0-9]+)?)\"")
_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]+)")
_OVERLAP = 1 << 14  # more than a cell's start tag and formula (Excel: at most 8,192 characters)
MAX_MERGES = 10_000


class UnstoredFormulas:
    """The formula cells without a stored result that matter: in the header row, or in a
    column the import reads below it (the first one, how many, their columns; 0 is the
    header row)."""

    def __init__(self, header_line: int, columns: set[int]) -> None:
        self.header_line, self.columns = header_line, columns
        self.first: tuple[str, int] | None = None
        self.count, self.where = 0, set()

    def add(self, row: int, column: int) -> None:
        if row == self.header_line or (row > self.header_line and column in self.columns):
            self.count += 1
            self.where.add(0 if row == self.header_line else column)
            self.first = self.first or (f"{column_letters(column)}{row}", row)


def _cell_attributes(text: bytes, position: int) -> bytes | None:
    """The attributes of the cell element holding the formula at ``position`` (the
    nearest ``<c ...>`` before it; a cell holds no other cell), or None when it is not
    in ``text``."""
    start = text.rfind(b"<", max(0, position - _OVERLAP), position)
    while start >= 0:
        tag = _CELL_TAG.match(text, start)
        if tag:
            return tag.group(1)
        start = text.rfind(b"<", max(0, position - _OVERLAP), start)
    return None


def scan_sheet(archive: zipfile.ZipFile, member: str, unstored: UnstoredFormulas) -> tuple[list[str], bool]:
    """(the sheet's merged ranges, whether a formula cell without a stored result had
    no ``r`` to place it): one pass over the sheet's bytes in blocks (a match across two
    blocks is found in the overlap kept from the first), adding to ``unstored`` each
    formula cell without a stored result: no ``<v>``, or an empty one on a cell that is
    not a text result (Excel writes ``t="str"`` and an empty ``<v>`` for a formula whose
    result is the empty text; openpyxl writes ``<f>I2</f><v/>``)."""
    merges: dict[str, None] = {}
    unplaced = False
    tail = b""
    with open_member(archive, member) as source:
        while block := source.read(1 << 20):
            text = tail + block
            # a formula element starts "<f" or "<x:f": without one (a sheet of values) the
            # regular expression, five times slower than the two searches, is not run
            if b"<f" in text or b":f" in text:
                for match in _FORMULA_WITHOUT_VALUE.finditer(text):
                    if match.end() <= len(tail):
                        continue  # found in the previous block
                    attributes = _cell_attributes(text, match.start())
                    where = _ATTR_R.search(attributes) if attributes is not None else None
                    if where is None:
                        unplaced = True
                        continue
                    kind = _ATTR_T.search(attributes)
                    if match.group(1) is None and kind is not None and kind.group(1) == b"str":
                        continue  # the empty text, stored
                    unstored.add(int(where.group(2)), _column_number(where.group(1).decode("ascii")))
            if b"mergeCell" in text:
                for match in _MERGE.finditer(text):
                    if len(merges) < MAX_MERGES:
                        merges[match.group(1).decode("ascii").upper()] = None
            tail = text[-_OVERLAP:]
    return list(merges), unplaced


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


def merge_bounds(ref: str) -> tuple[int, int, int, int]:
    """(first column, first row, last column, last row) of ``A1`` or ``A1:C3``."""
    corners = [_CELL_REF.fullmatch(part) for part in ref.split(":")]
    cols = [_column_number(m[1]) for m in corners if m]
    rows = [int(m[2]) for m in corners if m]
    return min(cols), min(rows), max(cols), max(rows)


def formulas_without_value(archive: zipfile.ZipFile, member: str, unstored: UnstoredFormulas) -> None:
    """The same as :func:`scan_sheet` for formulas, cell by cell through the XML parser:
    for a sheet whose cells do not all say where they are (no ``r``: a cell then follows
    the one before it, and a row the row before it)."""
    from defusedxml.ElementTree import iterparse

    row = column = 0
    sheet_data = None
    with open_member(archive, member) as source:
        for event, element in iterparse(source, events=("start", "end")):
            name = element.tag.rpartition("}")[2]
            if event == "start":
                if name == "row":
                    row = int(element.get("r") or row + 1)
                    column = 0
                elif name == "sheetData":
                    sheet_data = element
                continue
            if name == "c":
                ref = _CELL_REF.fullmatch(element.get("r") or "")
                column = _column_number(ref[1]) if ref else column + 1
                children = {child.tag.rpartition("}")[2]: child for child in element}
                value = children.get("v")
                stored = "is" in children or (value is not None and bool(
                    (value.text or "").strip() or element.get("t") == "str"))
                if "f" in children and not stored:
                    unstored.add(row, column)
            elif name == "row" and sheet_data is not None:
                sheet_data.clear()  # rows read are dropped: memory stays flat


def _read(archive: zipfile.ZipFile, member: str) -> bytes:
    """A small part whole, never more than it declares (the sizes were checked first)."""
    with open_member(archive, member) as source:
        return source.read()


def column_letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _attribute(element, name: str) -> str | None:
    """An attribute by its local name, in whichever namespace (transitional or strict
    OOXML name their relationship attributes differently)."""
    for key, value in element.attrib.items():
        if key.rpartition("}")[2] == name:
            return value
    return None


def _local(element) -> str:
    return element.tag.rpartition("}")[2]


def _part(folder: str, target: str) -> str:
    """A relationship's target as a zip member: absolute from the package root, or
    relative to the folder of the part that holds the relationship."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(folder, target))


def _relationships(archive: zipfile.ZipFile, rels: str, folder: str) -> list[tuple[str, str, str]]:
    """(Id, Type, target as a zip member) of the internal relationships in ``rels``."""
    from defusedxml.ElementTree import fromstring

    return [(_attribute(r, "Id") or "", _attribute(r, "Type") or "", _part(folder, _attribute(r, "Target") or ""))
            for r in fromstring(_read(archive, rels))
            if _local(r) == "Relationship" and _attribute(r, "TargetMode") != "External"]


def sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: the zip member holding its XML} of a workbook (module docstring);
    empty when the package names no workbook part. KeyError, a zip error or an XML
    ParseError when a part it names is missing or damaged."""
    from defusedxml.ElementTree import fromstring

    if "_rels/.rels" not in archive.namelist():
        return {}  # openpyxl finds the workbook by its content type and reads it anyway
    workbooks = [target for _, kind, target in _relationships(archive, "_rels/.rels", "")
                 if kind.endswith("/officeDocument")]
    if not workbooks:
        return {}
    workbook = workbooks[0]
    folder, name = posixpath.split(workbook)
    targets = {rel_id: target for rel_id, _, target in
               _relationships(archive, posixpath.join(folder, "_rels", f"{name}.rels"), folder)}
    members: dict[str, str] = {}
    for element in fromstring(_read(archive, workbook)).iter():
        if _local(element) == "sheet":
            target = targets.get(_attribute(element, "id") or "")
            if target is not None:
                members.setdefault(_attribute(element, "name") or "", target)  # the first of a name
    return members
