"""The monthly report as a PDF: served as a file, A4 pages in Chinese (or English) with the month's
figures as "n / d", their definitions, the supervised cases and the companion days per county,
within the caller's scope, never a description; its pages saved under var/screenshots/ for a person
to look at."""

from __future__ import annotations

import uuid
from datetime import date

import pypdfium2 as pdfium
import pytest
from werkzeug.http import parse_options_header

from services.reports import monthly
from shared import events
from shared.config import REPO_ROOT
from tests.unit.reports.test_rates import DAY, T0, apply, feedback, path, raised
from tests.unit.reports.test_reports import token

SHOTS = REPO_ROOT / "var" / "screenshots"
URL = "/api/v1/reports/monthly.pdf"


def new_id() -> str:
    return str(uuid.uuid4())


def companion(enterprise: str, county: str, day: date, outcome: str) -> events.CompanionDayDecided:
    return events.CompanionDayDecided(
        enterprise_code=enterprise, county_code=county, day=day, outcome=outcome, at=T0
    )


@pytest.fixture
def march(client):
    """In March 2026: in C01 (E001) two cases accepted in time, one of them supervised at level 1 and
    resolved to the worker's satisfaction, and one rejected; in C02 (E002) one accepted late and
    supervised at level 2. Earlier months a demand each; companion days in both counties."""
    ids = {"c01": new_id(), "c02": new_id()}
    done = T0 + 3 * DAY
    apply(
        client.rt,
        [
            *path(ids["c01"], ("accepted", T0 + DAY), ("resolved", done), enterprise="E001"),
            raised(ids["c01"], 1, T0 + 2 * DAY),
            feedback(ids["c01"], True, done + DAY),
        ],
    )
    apply(client.rt, path(new_id(), ("accepted", T0 + DAY), enterprise="E003", category="welfare"))
    apply(client.rt, path(new_id(), ("rejected", T0 + DAY), enterprise="E001"))
    apply(
        client.rt,
        [
            *path(ids["c02"], ("accepted", T0 + 4 * DAY), enterprise="E002", category="contract"),
            raised(ids["c02"], 1, T0 + 3 * DAY),
            raised(ids["c02"], 2, T0 + 4 * DAY),
        ],
    )
    for months in (1, 2, 5):
        apply(
            client.rt,
            path(new_id(), ("accepted", T0 - months * 30 * DAY + DAY), start=T0 - months * 30 * DAY),
        )
    days = [("E001", "C01", "held")] * 3 + [("E001", "C01", "missed"), ("E001", "C01", "cancelled")]
    days += [("E002", "C02", "held"), ("E002", "C02", "missed")]
    apply(
        client.rt, [companion(code, c, date(2026, 3, 2) + i * DAY, o) for i, (code, c, o) in enumerate(days)]
    )
    apply(client.rt, [companion("E001", "C01", date(2026, 4, 2), "missed")])  # another month
    return ids


def pdf(answer) -> pdfium.PdfDocument:
    assert answer.status_code == 200, answer.data[:300]
    assert answer.mimetype == "application/pdf"
    return pdfium.PdfDocument(answer.data)


def attachment(answer) -> str:
    kind, options = parse_options_header(answer.headers["Content-Disposition"])
    assert kind == "attachment"
    return options["filename"]


def text(document: pdfium.PdfDocument) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in document)


def test_the_report_is_a_pdf_file_named_by_its_month_and_county(client, march):
    answer = client.get(f"{URL}?month=2026-03")
    document = pdf(answer)
    assert len(document) >= 2
    assert attachment(answer) == "monthly-2026-03.pdf"
    width, height = document[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4, in points
    county = client.get(f"{URL}?month=2026-03&county=C02")
    assert attachment(county) == "monthly-2026-03-C02.pdf"


def test_the_report_holds_the_months_figures_definitions_cases_and_counties_in_chinese(client, march):
    document = pdf(client.get(f"{URL}?month=2026-03"))
    got = text(document)
    assert "全市月度报告" in got and "2026年3月" in got and "北京时间" in got
    for heading in ("本月各项指标", "督办案件", "陪伴日", "每月收到诉求"):
        assert heading in got, heading
    assert "3 / 4 (75.0%)" in got  # accepted (or rejected with a reason) in time, of those assigned
    assert "2 / 4 (50.0%)" in got and "1 / 4 (25.0%)" in got  # supervised at level 1 or above, and 2
    assert "1 / 1 (100.0%)" in got  # satisfied
    assert "3 / 4 (75.0%)" in got and "1 / 2 (50.0%)" in got  # companion days, a cancelled one not due
    assert "城关区" in got and "高新区" in got
    assert f"case-{march['c01']}" in got.replace("\r\n", "").replace("\n", "")
    assert "工资报酬" in got or "劳动合同" in got  # a category label, translated
    for definition in ("合并", "期限"):
        assert definition in got
    assert "车间噪音" not in got and "workshop is too loud" not in got  # never a description
    save(document, "reports-monthly")


def test_the_report_in_english_has_english_headings(client, march):
    got = text(pdf(client.get(f"{URL}?month=2026-03&lang=en")))
    assert "Monthly report: The whole city, March 2026" in got and "China time" in got
    for heading in ("The month's rates", "Cases under supervision", "Companion days held, per county"):
        assert heading in got, heading
    assert "Cases assigned in the period (merged excluded)" in got.replace("\r\n", " ").replace("\n", " ")
    assert "本月各项指标" not in got


def test_a_county_officers_report_holds_only_their_county(client, march):
    officer = token(client.rt, "c02-officer", "county_officer", "C02")
    got = text(pdf(client.get(f"{URL}?month=2026-03", headers=officer))).replace("\r\n", "").replace("\n", "")
    assert "高新区月度报告" in got
    assert f"case-{march['c02']}" in got and f"case-{march['c01']}" not in got
    assert "城关区" not in got and "1 / 2 (50.0%)" in got


def test_a_chairs_report_is_their_enterprises(client, march):
    chair = token(client.rt, "e001-chair", "enterprise_chair", "E001")
    got = text(pdf(client.get(f"{URL}?month=2026-03", headers=chair))).replace("\r\n", "").replace("\n", "")
    assert "企业E001月度报告" in got and f"case-{march['c01']}" in got and f"case-{march['c02']}" not in got
    assert "3 / 4 (75.0%)" in got and "高新区" not in got  # E001's companion days, not E002's


def test_a_city_officer_can_ask_for_one_county(client, march):
    got = text(pdf(client.get(f"{URL}?month=2026-03&county=C01"))).replace("\r\n", "").replace("\n", "")
    assert f"case-{march['c01']}" in got and f"case-{march['c02']}" not in got
    assert "高新区" not in got


def test_the_list_stops_at_its_limit_and_says_how_many_more(client, march, monkeypatch):
    monkeypatch.setattr(monthly, "LISTED", 1)
    got = text(pdf(client.get(f"{URL}?month=2026-03"))).replace("\r\n", "").replace("\n", "")
    assert f"case-{march['c02']}" in got and f"case-{march['c01']}" not in got  # the highest level first
    assert "另有 1 件未列出" in got


def test_a_month_with_nothing_still_reads(client):
    got = text(pdf(client.get(f"{URL}?month=2020-01")))
    assert "0 / 0 (—)" in got and "无" in got


@pytest.mark.parametrize(
    "query",
    [
        "",
        "month=2026-13",
        "month=abc",
        "month=2026-3",
        "month=2019-12",
        "month=2028-01",
        "month=２０２６-03",
        "month=2026-03&unknown=1",
        "month=2026-03&county=C%00",
        "month=2026-03&county=C01;rm",
        "month=2026-03&county=" + "C" * 40,
        "month=2026-03&lang=fr",
        "month=2026-03&month=2026-04",
    ],
)
def test_a_wrong_month_query_is_a_json_422(client, query):
    answer = client.get(f"{URL}?{query}")
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_fields"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer forged"}])
def test_the_monthly_report_is_for_staff(client, headers):
    assert client.get(f"{URL}?month=2026-03", headers=headers).status_code == 401


def test_a_missing_font_says_what_to_install(client, tmp_path):
    report = monthly.Report(date(2026, 3, 1), None, {}, [], [], 0, [])
    with pytest.raises(monthly.FontMissing, match="fonts-wqy-microhei"):
        monthly.pdf(report, "zh", tmp_path / "no-such-font.ttc")


def test_the_months_are_counted_back_across_years():
    assert monthly.months_before(date(2026, 3, 1), 11) == date(2025, 4, 1)
    assert monthly.last_day(date(2024, 2, 1)) == date(2024, 2, 29)
    assert monthly.last_day(date(2026, 12, 1)) == date(2026, 12, 31)


def save(document: pdfium.PdfDocument, name: str) -> None:
    """Each page as a PNG, for a person to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for i, page in enumerate(document, 1):
        page.render(scale=2).to_pil().save(SHOTS / f"{name}-p{i}.png")


def test_a_county_outside_ones_scope_is_not_named_in_a_report(client, march):
    officer = token(client.rt, "c01-officer", "county_officer", "C01")
    chair = token(client.rt, "e001-chair", "enterprise_chair", "E001")
    for headers in (officer, chair):
        answer = client.get("/api/v1/reports/monthly.pdf?month=2026-03&county=C02", headers=headers)
        assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "not_found"
    own = client.get("/api/v1/reports/monthly.pdf?month=2026-03&county=C01", headers=officer)
    assert own.status_code == 200
