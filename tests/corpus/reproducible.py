"""Workbooks written byte for byte the same on every run (the corpus generators share it):
fixed zip timestamps and document dates."""

from __future__ import annotations

import io
import re
import zipfile

_STAMP = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def reproducible(data: bytes) -> bytes:
    """The same workbook with fixed zip timestamps and document dates."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _STAMP.sub(rb"\g<1>2025-01-01T00:00:00Z\g<2>", body)
            dst.writestr(zipfile.ZipInfo(info.filename, (1980, 1, 1, 0, 0, 0)), body,
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def workbook(
    sheets: dict[str, list[list]],
    merges: dict[str, list[str]] | None = None,
    formulas: dict[str, dict[str, str]] | None = None,
    hidden: tuple[str, ...] = (),
) -> bytes:
    """A reproducible workbook written by openpyxl (which saves formulas without a cached
    value): the sheets in order, ``hidden`` ones hidden and the first visible one active."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        if title in hidden:
            ws.sheet_state = "hidden"
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value not in (None, ""):
                    ws.cell(row=r, column=c, value=value)
        for ref in (merges or {}).get(title, []):
            ws.merge_cells(ref)
        for ref, formula in (formulas or {}).get(title, {}).items():
            ws[ref] = formula
    if hidden:
        wb.active = next(i for i, t in enumerate(sheets) if t not in hidden)
    buf = io.BytesIO()
    wb.save(buf)
    return reproducible(buf.getvalue())
