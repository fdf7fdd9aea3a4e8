"""Scorecard workbooks (.xlsx, xlsxwriter) from the report documents of
:mod:`evaluator.services.reports`: a station's, a contract's and a round's summary. Pure:
a document in, the workbook's bytes out; every figure is the document's own, shown with the
system's decimals, so a workbook never disagrees with the API.

Conventions of every sheet (``sheets.Book``): Chinese headers on the first row with English
below them, both repeated on every printed page; frozen panes below the headers; A4
landscape, fitted to the page width; a footer naming the round and the system hash.
"""

from __future__ import annotations

from evaluator.reporting.workbooks.contract import contract_workbook
from evaluator.reporting.workbooks.station import station_workbook
from evaluator.reporting.workbooks.summary import summary_workbook

__all__ = ["contract_workbook", "station_workbook", "summary_workbook"]
