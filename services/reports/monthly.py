"""The monthly report (月度报告) of the city, a county or an enterprise, as a PDF on A4 pages: the
month's rates, each as numerator and denominator with its definition, twelve months of trend, the
demands received per month, the cases under supervision and the companion days held per county.

Everything is read from what reports holds, within the caller's scope, so the PDF, like the
ledger, never carries a description nor a contact. Its text is in the caller's language (Chinese
first); its font is a CJK TrueType font (REPORT_FONT), embedded, so it reads the same anywhere.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from babel.dates import format_skeleton
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import and_, false, func, null, select

from services.reports import charts
from services.reports import rates as figures
from services.reports.models import companion_days, enterprises, facts
from shared import auth, clock, labels, scope
from shared.errors import NotFound
from shared.i18n import translate
from shared.labels import N_

MONTHS = 12  # the trend's length, the month itself included
LISTED = 200  # the most supervised cases listed; the others are counted
TREND = {  # the rates of the trend chart, and their colours
    "on_time_acceptance": colors.HexColor("#1f77b4"),
    "resolution": colors.HexColor("#2ca02c"),
    "satisfaction": colors.HexColor("#d62728"),
}
NAMES = {
    "received": N_("Demands received"),
    "on_time_acceptance": N_("On-time acceptance rate"),
    "resolution": N_("Resolution rate"),
    "on_time_resolution": N_("On-time resolution rate"),
    "satisfaction": N_("Satisfaction rate"),
    "supervised_1": N_("Supervision rate (county union or above)"),
    "supervised_2": N_("Supervision rate (city federation)"),
    "closed_without_answer": N_("Closed without an answer"),
    "days_to_resolve": N_("Days to resolve"),
}
COVERAGE_NOTE = N_("Companion days held, of the days due (a day called off beforehand is not due).")
FONT = "ReportFont"
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN  # the text's width
f, e = facts.c, enterprises.c


class FontMissing(RuntimeError):
    """REPORT_FONT names no file: without a CJK font the Chinese would print as empty boxes."""


@dataclass(frozen=True)
class Report:
    """What the PDF shows, read in one go."""

    month: date  # its first day
    place: str | None  # the county's or the enterprise's name; None: the whole city
    rates: dict  # the month's, as rates.rates() gives them
    trend: list[tuple[str, dict]]  # each month (YYYY-MM, oldest first) and its rates ({} if none)
    supervised: list  # the cases listed
    unlisted: int  # the supervised cases beyond LISTED
    coverage: list[tuple[str, int, int]]  # per county: its name, days held, days due


def last_day(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def months_before(first: date, n: int) -> date:
    year, month = divmod(first.year * 12 + first.month - 1 - n, 12)
    return date(year, month + 1, 1)


def gather(conn, first: date, staff: auth.Staff, county: str | None) -> Report:
    """The month starting ``first``, within ``staff``'s scope (and ``county``, if given)."""
    end = last_day(first)
    month = figures.Scope(first, end, staff, county)
    year = figures.Scope(months_before(first, MONTHS - 1), end, staff, county)
    per_month = {g["key"]: g["rates"] for g in figures.rates(conn, year, "month")["groups"]}
    keys = [months_before(first, n).strftime("%Y-%m") for n in reversed(range(MONTHS))]
    listed, total = _supervised(conn, month)
    return Report(
        month=first,
        place=_place(conn, staff, county),
        rates=figures.rates(conn, month)["rates"],
        trend=[(k, per_month.get(k, {})) for k in keys],
        supervised=listed,
        unlisted=total - len(listed),
        coverage=_coverage(conn, first, end, staff, county),
    )


def _supervised(conn, month: figures.Scope) -> tuple[list, int]:
    """The cases behind the numerator of ``supervised_1`` (assigned in the month, level 1 or 2),
    the highest level first; at most LISTED of them, and how many in all."""
    rate = figures.RATES["supervised_1"]
    where = [*month.conditions(rate.by), *rate.base, rate.numerator]
    total = conn.execute(select(func.count()).select_from(facts).where(*where)).scalar_one()
    rows = conn.execute(
        select(f.case_id, f.enterprise_code, e.name, f.category, f.supervision_level, f.resolve_due)
        .select_from(facts.outerjoin(enterprises, e.code == f.enterprise_code))
        .where(*where)
        .order_by(f.supervision_level.desc(), f.assigned_at, f.case_id)
        .limit(LISTED)
    ).all()
    return rows, total


def _coverage(conn, first: date, end: date, staff: auth.Staff, county: str | None) -> list:
    """Per county within the scope, the companion days held of those due in the month: a day
    called off beforehand is not due (as on the scoreboard)."""
    d = companion_days.c
    days = enterprises.outerjoin(companion_days, and_(d.enterprise_code == e.code, d.day.between(first, end)))
    # The directory has no demand's chair nor holder: the scope rule applies to its enterprises only.
    where = [
        scope.condition(
            staff,
            enterprise=e.code,
            about_chair=false(),
            assignee_org=null(),
            in_county=lambda code: e.county_code == code,
        )
    ]
    if county:
        where.append(e.county_code == county)
    rows = conn.execute(
        select(
            e.county_name,
            func.count().filter(d.outcome == "held"),
            func.count().filter(d.outcome != "cancelled"),
        )
        .select_from(days)
        .where(*where)
        .group_by(e.county_code, e.county_name)
        .order_by(e.county_code)
    ).all()
    return [(name, held, due) for name, held, due in rows]


def _place(conn, staff: auth.Staff, county: str | None) -> str | None:
    """Whose report it is: the county asked for (a city officer's, an administrator's, or an
    officer's own; anyone else's is not theirs to name: 404), the officer's county, the chair's
    enterprise."""
    if county and staff.role == "county_officer" and county != staff.org_code:
        raise NotFound("not_found")
    if county and staff.role == "enterprise_chair":
        raise NotFound("not_found")
    county = county or (staff.org_code if staff.role == "county_officer" else None)
    if county:
        named = select(e.county_name).where(e.county_code == county).limit(1)
        return conn.execute(named).scalar() or county
    if staff.role == "enterprise_chair":
        return conn.execute(select(e.name).where(e.code == staff.org_code)).scalar() or staff.org_code
    return None


# -- the PDF ----------------------------------------------------------------------------------------
@functools.cache
def _font(path: str) -> str:
    if not Path(path).is_file():
        raise FontMissing(
            f"REPORT_FONT: no font file at {path}. Install Debian's fonts-wqy-microhei, or set "
            "REPORT_FONT to a CJK TrueType font (.ttf, or .ttc whose first face is CJK)."
        )
    pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
    return FONT


class _Writer:
    """The report's language and font, and the paragraphs and tables written in them."""

    def __init__(self, locale: str, font: str):
        self.locale, self.font = locale, font
        wrap = "CJK" if locale == "zh" else None  # Chinese breaks between any two characters
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12.5, wordWrap=wrap)
        self.small = ParagraphStyle("small", self.body, fontSize=7.5, leading=10, textColor=colors.grey)
        self.cell = ParagraphStyle("cell", self.body, fontSize=8, leading=10.5)
        self.title = ParagraphStyle("title", self.body, fontSize=17, leading=22, spaceAfter=4)
        self.heading = ParagraphStyle(
            "heading", self.body, fontSize=12, leading=16, spaceBefore=10, spaceAfter=5
        )

    def p(self, text: str, style: ParagraphStyle | None = None) -> Paragraph:
        return Paragraph(escape(text), style or self.cell)

    def table(self, heads: tuple[str, ...], rows: list[list], widths: tuple[float, ...]) -> Table:
        """Its header row (the headers translated, wrapped to their column, repeated on each page) and
        its rows, each column a share of the text's width."""
        header = [self.p(translate(self.locale, h)) for h in heads]
        table = Table([header, *rows], colWidths=[w * WIDTH for w in widths], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.font),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                    ("LEFTPADDING", (0, 0), (-1, -1), 4),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#c8ced6")),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f7f8fa")]),
                ]
            )
        )
        return table


def _figure(name: str, figure: dict, w: _Writer) -> str:
    """A figure as people read it: a rate as ``n / d (v%)``, never a percentage of nothing."""
    if name == "received":
        return translate(w.locale, "%(count)s (not accepted: %(rejected)s)", **figure)
    if name == "closed_without_answer":
        return f"{figure['count']} / {figure['of']}"
    if name == "days_to_resolve":
        return (
            "—"
            if figure["median"] is None
            else translate(w.locale, "median %(median)s, 90th percentile %(p90)s", **figure)
        )
    n, d = figure["numerator"], figure["denominator"]
    return f"{n} / {d} ({_share(n, d)})"


def _share(numerator: int, denominator: int) -> str:
    return f"{numerator / denominator:.1%}" if denominator else "—"


def _rates(report: Report, w: _Writer) -> list:
    said = figures.definitions()
    rows = [
        [
            w.p(translate(w.locale, label)),
            w.p(_figure(name, report.rates[name], w)),
            w.p(said[name][w.locale]),
        ]
        for name, label in NAMES.items()
    ]
    return [
        w.p(translate(w.locale, "The month's rates"), w.heading),
        w.table((N_("Rate"), N_("Figure"), N_("Definition")), rows, (0.24, 0.2, 0.56)),
    ]


def _charts(report: Report, w: _Writer) -> list:
    months = [k for k, _ in report.trend]
    lines = [
        (translate(w.locale, NAMES[name]), colour, [_percent(rates.get(name)) for _, rates in report.trend])
        for name, colour in TREND.items()
    ]
    counts = [rates["received"]["count"] if rates else 0 for _, rates in report.trend]
    trend = translate(w.locale, "On-time acceptance, resolution and satisfaction over twelve months")
    gaps = translate(w.locale, "In percent; a month with no case counted has no point.")
    return [
        KeepTogether(
            [w.p(trend, w.heading), w.p(gaps, w.small), charts.percent_lines(WIDTH, months, lines, w.font)]
        ),
        KeepTogether(
            [
                w.p(translate(w.locale, "Demands received per month"), w.heading),
                charts.count_bars(WIDTH, months, counts, w.font),
            ]
        ),
    ]


def _percent(figure: dict | None) -> float | None:
    return None if not figure or figure["value"] is None else figure["value"] * 100


def _supervised_list(report: Report, w: _Writer) -> list:
    out: list = [w.p(translate(w.locale, "Cases under supervision, assigned in the month"), w.heading)]
    if not report.supervised:
        return [*out, w.p(translate(w.locale, "No case assigned in the month is supervised."), w.body)]
    rows = [
        [
            w.p(r.case_id or ""),
            w.p(r.name or r.enterprise_code or ""),
            w.p(translate(w.locale, labels.CATEGORY[r.category]) if r.category in labels.CATEGORY else ""),
            str(r.supervision_level),
            clock.for_people(r.resolve_due),
        ]
        for r in report.supervised
    ]
    heads = (N_("Case"), N_("Enterprise"), N_("Category"), N_("Supervision level"), N_("Resolve due"))
    out.append(w.table(heads, rows, (0.37, 0.19, 0.17, 0.12, 0.15)))  # a case id on one line
    if report.unlisted:
        out += [
            Spacer(1, 4),
            w.p(translate(w.locale, "And %(count)s more, not listed.", count=report.unlisted), w.body),
        ]
    return out


def _coverage_list(report: Report, w: _Writer) -> list:
    rows = [
        [w.p(name), str(held), str(due), f"{held} / {due} ({_share(held, due)})"]
        for name, held, due in report.coverage
    ]
    return [
        w.p(translate(w.locale, "Companion days held, per county"), w.heading),
        w.table((N_("County"), N_("Held"), N_("Due"), N_("Held of due")), rows, (0.4, 0.15, 0.15, 0.3)),
        Spacer(1, 4),
        w.p(translate(w.locale, COVERAGE_NOTE), w.small),
    ]


def pdf(report: Report, locale: str, font_path: Path) -> bytes:
    """The report as a PDF, in ``locale`` (zh or en)."""
    w = _Writer(locale, _font(str(font_path)))
    place = report.place or translate(w.locale, "The whole city")
    month = format_skeleton("yMMMM", report.month, locale=locale)
    title = translate(w.locale, "Monthly report: %(place)s, %(month)s", place=place, month=month)
    generated = translate(w.locale, "Generated at %(when)s, China time", when=clock.for_people(clock.now()))
    story = [
        w.p(title, w.title),
        w.p(generated, w.small),
        *_rates(report, w),
        *_charts(report, w),
        *_supervised_list(report, w),
        *_coverage_list(report, w),
    ]

    def footer(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(w.font, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, MARGIN / 2, title)
        canvas.drawRightString(
            A4[0] - MARGIN, MARGIN / 2, translate(w.locale, "Page %(page)s", page=document.page)
        )
        canvas.restoreState()

    out = io.BytesIO()
    margins = {f"{side}Margin": MARGIN for side in ("left", "right", "top", "bottom")}
    document = SimpleDocTemplate(out, pagesize=A4, title=title, author="Xinsheng", **margins)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
