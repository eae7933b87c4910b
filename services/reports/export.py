"""The ledger (问题台账) as a spreadsheet: one row per demand submitted in the period, within the
caller's scope and filters, as CSV or XLSX.

reports holds no description and no contact, so no export can carry one. The headers and the codes
(category, channel, status) are in the caller's language; times are China time with their offset.
A cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return) is prefixed with
an apostrophe, so no spreadsheet reads it as a formula. Rows are read from the database a batch at
a time (a server-side cursor) and written as they come: the CSV is streamed to the client, the XLSX
is written to a temporary file in XlsxWriter's constant-memory mode and then sent.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import xlsxwriter
from flask_babel import gettext
from sqlalchemy import Engine, select

from services.reports.models import enterprises, facts
from services.reports.rates import Scope
from shared import clock, labels

BATCH = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
f = facts.c
e = enterprises.c


def neutral(text: str) -> str:
    """A cell's text that no spreadsheet takes for a formula."""
    return "'" + text if text.startswith(_FORMULA) else text


def _when(moment) -> str:
    return clock.iso(moment) if moment is not None else ""


def _yes(value) -> str:
    return "" if value is None else gettext("yes") if value else gettext("no")


def _days(seconds) -> str:
    return "" if seconds is None else f"{seconds / 86400:.2f}"


# Each column: its header (translated when written), what it reads and how a cell shows it.
COLUMNS: list[tuple[str, Any, Callable[[Any], str]]] = [
    (labels.N_("Case"), f.case_id, lambda v: v or ""),
    (labels.N_("Demand"), f.grievance_id, str),
    (labels.N_("Enterprise code"), f.enterprise_code, lambda v: v or ""),
    (labels.N_("Enterprise"), e.name, lambda v: v or ""),
    (labels.N_("County"), e.county_name, lambda v: v or ""),
    (labels.N_("Category"), f.category, lambda v: labels.shown(labels.CATEGORY, v) if v else ""),
    (labels.N_("Channel"), f.channel, lambda v: labels.shown(labels.CHANNEL, v) if v else ""),
    (labels.N_("Urgency"), f.urgency, lambda v: labels.shown(labels.URGENCY, v) if v else ""),
    (labels.N_("Anonymous"), f.anonymous, _yes),
    (labels.N_("Submitted at"), f.submitted_at, _when),
    (labels.N_("Assigned at"), f.assigned_at, _when),
    (labels.N_("Held by"), f.assignee_org, lambda v: v or ""),
    (labels.N_("Accept due"), f.accept_due, _when),
    (labels.N_("Accepted or rejected"), f.answered_at, _when),
    (labels.N_("Resolve due"), f.resolve_due, _when),
    (labels.N_("First resolved"), f.first_resolved_at, _when),
    (labels.N_("Days to resolve"), f.resolve_seconds, _days),
    (labels.N_("Status"), f.status, lambda v: labels.shown(labels.STATUS, v) if v else ""),
    (labels.N_("Supervision level"), f.supervision_level, str),
    (labels.N_("Worker satisfied"), f.final_satisfied, _yes),
    (labels.N_("Closed without an answer"), f.closed_without_answer, _yes),
]


def _query(scope: Scope):
    return (
        select(*(column for _, column, _ in COLUMNS))
        .select_from(facts.outerjoin(enterprises, e.code == f.enterprise_code))
        .where(*scope.conditions(f.submitted_at))
        .order_by(f.submitted_at, f.grievance_id)
    )


def _rows(engine: Engine, scope: Scope) -> Iterator[list[str]]:
    """Each row's cells, read a batch at a time."""
    shows = [show for _, _, show in COLUMNS]
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(_query(scope))
        for row in result:
            yield [neutral(show(value)) for show, value in zip(shows, row, strict=True)]


def headers() -> list[str]:
    return [gettext(title) for title, _, _ in COLUMNS]


def csv_chunks(engine: Engine, scope: Scope) -> Iterator[bytes]:
    """The CSV (UTF-8 with a byte-order mark, which spreadsheets need to read Chinese), in chunks."""
    buffer = io.StringIO()
    out = csv.writer(buffer)
    buffer.write("\ufeff")
    out.writerow(headers())
    for n, cells in enumerate(_rows(engine, scope), 1):
        out.writerow(cells)
        if n % BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_file(engine: Engine, scope: Scope) -> tempfile._TemporaryFileWrapper:
    """The XLSX in a temporary file (deleted when closed), written row by row in constant memory."""
    target = tempfile.NamedTemporaryFile(prefix="ledger-", suffix=".xlsx")  # noqa: SIM115 - the caller closes it
    book = xlsxwriter.Workbook(
        target.name, {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    sheet = book.add_worksheet(gettext("Ledger"))
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, headers(), bold)
    for r, cells in enumerate(_rows(engine, scope), 1):
        sheet.write_row(r, 0, cells)
    book.close()
    target.seek(0)
    return target
