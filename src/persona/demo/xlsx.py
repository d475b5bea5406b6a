"""A minimal, fast and byte-for-byte reproducible xlsx writer for one sheet of text cells.

openpyxl writes about 25,000 rows a second and stamps the current time into the file; the
survey export has up to a million rows and must be identical for a seed, so the sheet XML is
built column-wise with Arrow and zipped with fixed timestamps. Readers (Excel, openpyxl,
calamine) see ordinary inline-string cells.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from persona.demo import textops as tx

MAX_ROWS = 1_048_576
"""Rows an Excel sheet can hold, header included."""
_STAMP = (2026, 10, 31, 0, 0, 0)
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.spreadsheetml.'
        'worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PKG}">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}"><fonts count="1"><font><sz val="11"/>'
        '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
        'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
        'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
        'builtinId="0"/></cellStyles></styleSheet>'
    ),
}


def write_xlsx(path: Path, sheet: str, header: Sequence[str], columns: Sequence[Any]) -> None:
    """Write one sheet of text cells; empty strings and nulls become empty cells.

    Args:
        path: The .xlsx file to write.
        sheet: The sheet name.
        header: Column titles of row 1.
        columns: Arrow string arrays of one length, one per header title (at most 26).

    Raises:
        ValueError: if the rows do not fit in one sheet.
    """
    rows = len(columns[0]) if columns else 0
    if rows + 1 > MAX_ROWS:
        raise ValueError(f"{rows} rows do not fit in one xlsx sheet (at most {MAX_ROWS - 1})")
    letters = [chr(ord("A") + i) for i in range(len(header))]
    workbook = (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    head_cells = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
        for col, text in zip(letters, header, strict=True)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in (*_PARTS.items(), ("xl/workbook.xml", workbook)):
            archive.writestr(_info(name), _HEAD + xml)
        with archive.open(_info("xl/worksheets/sheet1.xml"), "w", force_zip64=True) as sheet_xml:
            opening = f'{_HEAD}<worksheet xmlns="{_MAIN}"><sheetData><row r="1">{head_cells}</row>'
            sheet_xml.write(opening.encode())
            for start in range(0, rows, 200_000):
                stop = min(rows, start + 200_000)
                number = tx.num(np.arange(start + 2, stop + 2))
                cells = [
                    _cells(letter, number, column.slice(start, stop - start))
                    for letter, column in zip(letters, columns, strict=True)
                ]
                lines = tx.join('<row r="', number, '">', *cells, "</row>", skip_nulls=True)
                tx.write_lines(sheet_xml, lines, newline="")
            sheet_xml.write(b"</sheetData></worksheet>")


def _cells(letter: str, number: Any, values: Any) -> Any:
    values = pc.if_else(
        pc.equal(pc.fill_null(values, ""), ""), pa.scalar(None, pa.string()), values
    )
    return tx.join(
        f'<c r="{letter}', number, '" t="inlineStr"><is><t>', tx.xml_escape(values), "</t></is></c>"
    )


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_STAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
