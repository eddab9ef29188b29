"""The XLSX writer of :mod:`berjasa.spreadsheet`: one sheet through openpyxl's
write-only mode, rows written as they come (bounded memory), text, id and phone cells
as string cells formatted ``@``, never a formula; a summary row (:data:`EMPHASIS`) bold.
openpyxl is imported when a workbook is written."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from berjasa.spreadsheet_cells import EMPHASIS, ID, NUMBER, PHONE, Column, row_converter, safe_text


def write_xlsx(stream: IO[bytes], columns: Sequence[Column],
               rows: Iterable[Mapping[str, Any] | Sequence[Any]],
               title_lines: Sequence[str] = (), sheet_title: str = "Data") -> int:
    """XLSX with one sheet (openpyxl write-only: rows go to disk as they come).
    Text, id and phone cells are string cells formatted ``@``; no cell is a
    formula. The number of data rows written."""
    from openpyxl import Workbook
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(safe_text(sheet_title).lstrip("'")[:31] or "Data")
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    # the header stays in sight while scrolling (the title lines, if any, above it)
    sheet.freeze_panes = f"A{len(title_lines) + (2 if title_lines else 1) + 1}"

    def text_cell(value: str, bold: bool = False) -> Any:
        cell = WriteOnlyCell(sheet)
        cell.number_format = "@"
        if bold:
            cell.font = Font(bold=True)
        _set_text(cell, value)
        return cell

    for line in title_lines:
        sheet.append([text_cell(safe_text(line), bold=True)])
    if title_lines:
        sheet.append([])
    sheet.append([text_cell(safe_text(c.header), bold=True) for c in columns])

    # Data rows take the fastest path this openpyxl offers; every path writes the
    # same cells. (1) With lxml: each row's XML is built as escaped text and parsed
    # once (_lxml_row_writer). (2) Otherwise one prepared cell object per column and
    # type, refilled per row (openpyxl serialises a row as soon as it is appended),
    # values set directly instead of through openpyxl's type guessing, and a row
    # builder that only stamps the row number. (3) Without those private hooks
    # (another openpyxl version), the same cells through the public append.
    # per column: (text, plain, number) cells, and their bold twins for summary rows
    cells: dict[bool, tuple[list[Any], list[Any], list[Any]]] = {}
    for bold in (False, True):
        text_cells, plain_cells, number_cells = [], [], []
        for index, column in enumerate(columns, 1):
            styled = Cell(sheet, row=1, column=index)
            if column.kind != NUMBER:
                styled.number_format = "@"
            plain = Cell(sheet, row=1, column=index)
            numeric = Cell(sheet, row=1, column=index)
            if column.kind == NUMBER:
                numeric.number_format = column.number_format
            if bold:
                for cell in (styled, plain, numeric):
                    cell.font = Font(bold=True)
            text_cells.append(styled)
            plain_cells.append(plain)
            number_cells.append(numeric)
        cells[bold] = (text_cells, plain_cells, number_cells)
    fast = hasattr(sheet, "_values_to_row")
    kinds = [c.kind for c in columns]
    convert = row_converter(columns)
    count = 0
    emphasis = [False]  # the row being written is a summary (read by the lxml writer)
    row_writer = _lxml_row_writer(sheet, columns, cells, emphasis) if fast else None
    try:
        if row_writer is not None:
            # Fastest: each row's XML built by lxml in one go (values are already safe
            # text or numbers), written through openpyxl's own stream.
            sheet._values_to_row = _as_is
            sheet._writer.write_row = row_writer
            for row in rows:
                emphasis[0] = isinstance(row, Mapping) and bool(row.get(EMPHASIS))
                sheet.append(convert(row))
                count += 1
            rows = ()
        elif fast:
            sheet._values_to_row = _stamp_row
        for row in rows:
            values = convert(row)
            text_cells, plain_cells, number_cells = cells[
                isinstance(row, Mapping) and bool(row.get(EMPHASIS))]
            out: list[Any] = []
            for index, value in enumerate(values):
                if isinstance(value, str):
                    cell = plain_cells[index] if kinds[index] == NUMBER else text_cells[index]
                    if fast:
                        cell._value, cell.data_type = (value or None), "s"
                    else:
                        _set_text(cell, value)
                else:
                    cell = number_cells[index]
                    if fast:
                        cell._value, cell.data_type = value, "n"
                    else:
                        cell.value = value
                out.append(cell)
            sheet.append(out)
            count += 1
    except BaseException:
        _discard(sheet)
        raise
    workbook.save(stream)
    return count


def _as_is(values: list[Any], row_idx: int) -> list[Any]:
    return values


def _width(column: Column) -> float:
    """A column's width in characters: an identifier's 16 digits, a name or an
    address readable, a number's grouped digits; the header always fits."""
    least = {ID: 19, PHONE: 15, NUMBER: 12}.get(column.kind, 18)
    return min(40, max(least, len(column.header) + 2))


def _lxml_row_writer(sheet: Any, columns: Sequence[Column],
                     cells: dict[bool, tuple[list[Any], list[Any], list[Any]]],
                     emphasis: list[bool]) -> Any:
    """A replacement for openpyxl's per-cell row writer, or None without lxml: the
    same XML (inline strings, style ``@`` on text columns, numbers as ``n``), one
    row's XML as text (values escaped here) parsed by lxml in one call and written
    to openpyxl's own stream: several times less work than one context manager (or
    element) per cell."""
    import openpyxl

    if not openpyxl.LXML or getattr(sheet, "_writer", None) is None \
            or not hasattr(sheet._writer, "write_row"):
        return None
    from lxml.etree import fromstring
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
    # per row kind (summary or not): each column's text style and number style; a
    # summary's cells are all styled (bold), an ordinary row's only where a format is
    looks = {}
    for bold, (text_cells, plain_cells, number_cells) in cells.items():
        looks[bold] = (
            [f' s="{t.style_id}"' if c.kind != NUMBER else (f' s="{p.style_id}"' if bold else "")
             for t, p, c in zip(text_cells, plain_cells, columns)],
            [f' s="{n.style_id}"' if c.kind == NUMBER or bold else ""
             for n, c in zip(number_cells, columns)])

    def write_row(xf: Any, values: list[Any], row_idx: int) -> None:
        styles, number_styles = looks[emphasis[0]]
        number = str(row_idx)
        parts = [f'<row r="{number}">']
        for letter, style, number_style, value in zip(letters, styles, number_styles, values):
            if isinstance(value, str):
                if not value:
                    if style:
                        parts.append(f'<c r="{letter}{number}"{style}/>')
                    continue
                if "&" in value or "<" in value or ">" in value:
                    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                keep = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
                parts.append(f'<c r="{letter}{number}"{style} t="inlineStr"><is><t{keep}>'
                             f'{value}</t></is></c>')
            else:
                parts.append(f'<c r="{letter}{number}"{number_style} t="n"><v>{value}</v></c>')
        parts.append("</row>")
        xf.write(fromstring("".join(parts)))

    return write_row


def _stamp_row(cells: list[Any], row_idx: int) -> Iterator[Any]:
    """The prepared cells of one row with their row number (see write_xlsx)."""
    for cell in cells:
        cell.row = row_idx
        yield cell


def _discard(sheet: Any) -> None:
    """Close an abandoned write-only sheet and remove openpyxl's temporary file
    (it holds the rows written so far: personal data must not stay behind)."""
    with contextlib.suppress(Exception):  # best effort while another error propagates
        sheet.close()
        sheet._writer.cleanup()  # openpyxl offers no public way


def _set_text(cell: Any, value: str) -> None:
    """A string cell, never a formula or an error value, whatever the text."""
    cell.value = value if value else None
    if value:
        cell.data_type = "s"
