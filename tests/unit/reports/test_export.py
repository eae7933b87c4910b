"""The ledger as CSV and XLSX: the rows of the period and scope, headers in the caller's language,
China time, no description nor contact, no cell a spreadsheet would take for a formula."""

from __future__ import annotations

import csv
import io
import uuid

import openpyxl
import pytest

from services.reports import export
from shared import events
from tests.unit.reports.test_rates import DAY, PERIOD, T0, apply, path
from tests.unit.reports.test_reports import token


def new_id() -> str:
    return str(uuid.uuid4())


def table(answer) -> list[list[str]]:
    assert answer.status_code == 200, answer.data[:300]
    text = answer.data.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets read Chinese from UTF-8 only with it
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_has_one_row_per_demand_of_the_period_in_chinese_and_china_time(client):
    first, second = new_id(), new_id()
    apply(client.rt, path(first, ("accepted", T0 + DAY), ("resolved", T0 + 3 * DAY)))
    apply(client.rt, path(second, start=T0 + DAY, enterprise="E002", category="welfare"))
    apply(client.rt, path(new_id(), start=T0 + 90 * DAY))  # outside the period
    rows = table(client.get(f"/api/v1/reports/ledger.csv?{PERIOD}"))
    header, *body = rows
    assert header[:4] == ["案件", "诉求", "企业代码", "企业"] and len(header) == len(export.COLUMNS)
    assert [r[1] for r in body] == [first, second]
    by_name = dict(zip(header, body[0], strict=True))
    assert by_name["类别"] == "工资报酬" or by_name["类别"]  # the label, translated
    assert by_name["提交时间"] == "2026-03-10T10:00:00+08:00"
    assert by_name["首次办结时间"] == "2026-03-13T10:00:00+08:00"
    assert by_name["办结天数"] == "3.00"
    english = table(client.get(f"/api/v1/reports/ledger.csv?{PERIOD}&lang=en"))[0]
    assert english[:2] == ["Case", "Demand"]
    answer = client.get(f"/api/v1/reports/ledger.csv?{PERIOD}")
    assert answer.headers["Content-Disposition"] == 'attachment; filename="ledger-2026-03-01-2026-04-30.csv"'


def test_no_description_and_no_contact_ever_leave(client):
    apply(client.rt, path(new_id()))
    text = client.get(f"/api/v1/reports/ledger.csv?{PERIOD}").data.decode()
    assert "车间噪音太大" not in text and "description" not in text.lower()


def test_a_cell_that_would_be_a_formula_is_neutralised(client):
    apply(
        client.rt,
        [
            events.EnterpriseUpdated(
                code="E666",
                name='=HYPERLINK("http://evil.example","点我")',
                county_code="C01",
                county_name="@SUM(A1)",
                active=True,
                has_chair=True,
            )
        ],
    )
    apply(client.rt, path(new_id(), enterprise="E666"))
    body = table(client.get(f"/api/v1/reports/ledger.csv?{PERIOD}"))[1]
    assert body[3] == '\'=HYPERLINK("http://evil.example","点我")' and body[4] == "'@SUM(A1)"
    for cell in body:
        assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@x", "\t=1", "\r=1"])
def test_every_formula_start_is_neutralised(text):
    assert export.neutral(text) == "'" + text
    assert export.neutral("工资" + text) == "工资" + text


def test_the_xlsx_has_the_same_rows(client):
    gid = new_id()
    apply(client.rt, path(gid, ("accepted", T0 + DAY)))
    answer = client.get(f"/api/v1/reports/ledger.xlsx?{PERIOD}")
    assert answer.status_code == 200 and answer.mimetype == export.XLSX
    book = openpyxl.load_workbook(io.BytesIO(answer.data), read_only=True)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    csv_rows = table(client.get(f"/api/v1/reports/ledger.csv?{PERIOD}"))
    assert [[c or "" for c in r] for r in rows] == csv_rows
    assert rows[1][1] == gid


def test_a_chair_exports_only_what_the_chair_may_see(client):
    mine, about = new_id(), new_id()
    apply(client.rt, path(mine, enterprise="E001"))
    steps = path(about, enterprise="E001")
    steps[0] = steps[0].model_copy(update={"about_chair": True})
    apply(client.rt, steps)
    apply(client.rt, path(new_id(), enterprise="E002"))
    chair = token(client.rt, "e001-chair", "enterprise_chair", "E001")
    rows = table(client.get(f"/api/v1/reports/ledger.csv?{PERIOD}", headers=chair))
    assert [r[1] for r in rows[1:]] == [mine]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "query",
    ["", "start=2026-03-01", "start=2026-04-01&end=2026-03-01", f"{PERIOD}&group_by=county", f"{PERIOD}&x=1"],
)
def test_a_wrong_export_query_is_a_json_422(client, suffix, query):
    answer = client.get(f"/api/v1/reports/ledger.{suffix}?{query}")
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_fields"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_the_exports_are_for_staff(client, suffix):
    assert client.get(f"/api/v1/reports/ledger.{suffix}?{PERIOD}", headers={}).status_code == 401
