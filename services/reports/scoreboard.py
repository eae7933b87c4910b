"""The public scoreboard: for the city, each county and each enterprise, the demands received, how
many had an answer, the resolution rate, satisfaction and the companion days held, each with its
numerator and denominator, for the last month and for its year up to it. No token: the workers see
that their union answers, and the federation can publish it. A demand about a chair is counted
nowhere here: an enterprise's figures less its chair's own rates would count them.

No figure of 1 to ``K`` − 1 shows (a 0 is no one, and shows), and none that would let one be worked
out (shared/disclosure.py): a county's figure is the sum of its enterprises', the city's the sum of
its counties', each unit's year is its month plus the rest of the year (known from the months
published before, so it counts as shown), and a rate's denominator less its numerator (those not
satisfied, say) is a figure too. A rate whose denominator is withheld shows neither part. There is
no description and no breakdown by category anywhere. Companion days are counted in full: they are
the chair's days, not workers, and a small count of them singles nobody out.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import and_, func, select

from services.reports.models import companion_days, enterprises, facts
from shared import clock
from shared.disclosure import K, protect
from shared.i18n import translate
from shared.labels import N_

f = facts.c
CITY = "city"
PERIODS = ("month", "year")

# Each figure: the date that places a case in the period, the denominator's condition beyond it (or
# None), and the numerator's condition (None: a count only).
FIGURES = {
    "received": (f.submitted_at, None, None),
    "answered": (f.submitted_at, None, f.answered_at.is_not(None)),
    "resolved": (
        f.resolve_due,
        f.status.not_in(("rejected", "merged")) & f.assigned_at.is_not(None),
        f.status == "closed",
    ),
    "satisfied": (f.final_answer_at, None, f.final_satisfied.is_(True)),
}
DEFINITIONS = {
    "received": N_("Demands received."),
    "answered": N_("Of the demands received, those accepted or answered with a reason."),
    "resolved": N_(
        "Of the demands whose time to resolve ended, those closed: the worker satisfied, or no answer."
    ),
    "satisfied": N_("Of the workers who answered, those satisfied."),
    "companion_days": N_("Companion days held, of the days due (a day called off beforehand is not due)."),
}


def periods(today: date) -> dict[str, tuple[date, date]]:
    """The last full month, and its year up to it. Both end with the last full month: a figure that
    moved from one day to the next would tell that day's demands, and the month lies inside its year
    (in January: December and the whole of last year)."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return {
        "month": (last_month_end.replace(day=1), last_month_end),
        "year": (date(last_month_end.year, 1, 1), last_month_end),
    }


def _within(column, span: tuple[date, date]):
    start, end = span
    return and_(column >= clock.day_start(start), column < clock.day_start(end + timedelta(days=1)))


def _counts(conn, spans: dict[str, tuple[date, date]]) -> dict:
    """Raw counts per (part, enterprise, period): parts are ``<figure>.d`` and ``<figure>.n``."""
    out: dict = defaultdict(int)
    for name, (by, base, numerator) in FIGURES.items():
        for period, span in spans.items():
            conds = [
                f.submitted_at.is_not(None),
                f.enterprise_code.is_not(None),
                f.about_chair.is_(False),  # else the chair could count those about him (board less rates)
                _within(by, span),
            ]
            if base is not None:
                conds.append(base)
            columns = [f.enterprise_code, func.count()]
            if numerator is not None:
                columns.append(func.count().filter(numerator))
            for code, d, *n in conn.execute(select(*columns).where(*conds).group_by(f.enterprise_code)):
                out[(f"{name}.d", code, period)] = d
                if n:
                    out[(f"{name}.n", code, period)] = n[0]
    for period, (start, end) in spans.items():
        rows = conn.execute(
            select(companion_days.c.enterprise_code, companion_days.c.outcome, func.count())
            .where(companion_days.c.day.between(start, end), companion_days.c.outcome != "cancelled")
            .group_by(companion_days.c.enterprise_code, companion_days.c.outcome)
        )
        for code, outcome, n in rows:
            out[("companion_days.d", code, period)] += n
            if outcome == "held":
                out[("companion_days.n", code, period)] += n
    return out


# The figures protected together: a count alone, or a rate's numerator and denominator.
GROUPS = (
    ("received.d",),
    ("answered.n", "answered.d"),
    ("resolved.n", "resolved.d"),
    ("satisfied.n", "satisfied.d"),
    ("companion_days.n", "companion_days.d"),
)


def scoreboard(conn, today: date | None = None, k: int = K) -> dict:
    """The whole city's scoreboard, protected."""
    today = today or clock.today()
    spans = periods(today)
    units = conn.execute(
        select(
            enterprises.c.code, enterprises.c.name, enterprises.c.county_code, enterprises.c.county_name
        ).order_by(enterprises.c.county_code, enterprises.c.code)
    ).all()
    counties: dict[str, dict] = {}
    for u in units:
        counties.setdefault(u.county_code, {"name": u.county_name, "enterprises": []})["enterprises"].append(
            u
        )
    raw = _counts(conn, spans)
    shown: dict = {}
    every = [CITY, *counties, *(u.code for u in units)]
    for parts in GROUPS:
        values: dict = {}
        lines: list[list] = []
        totals: list = []
        for part in parts:
            for period in PERIODS:
                city_line = []
                for county, info in counties.items():
                    members = [(part, u.code, period) for u in info["enterprises"]]
                    for key in members:
                        values[key] = raw.get(key, 0)
                    total = (part, county, period)
                    values[total] = sum(values[m] for m in members)
                    lines.append([*members, total])
                    city_line.append(total)
                    totals.append(total)
                values[(part, CITY, period)] = sum(values[c] for c in city_line)
                lines.append([*city_line, (part, CITY, period)])
                totals.append((part, CITY, period))
            for unit in every:  # the year is the month and the rest
                rest = (part, unit, "rest")
                values[rest] = max(0, values[(part, unit, "year")] - values[(part, unit, "month")])
                lines.append([(part, unit, "month"), rest, (part, unit, "year")])
                totals.append((part, unit, "year"))
        if len(parts) == 2:  # a rate's parts: its denominator less its numerator is a group too
            numerator, denominator = parts
            for unit in every:
                for period in PERIODS:
                    n, d = (numerator, unit, period), (denominator, unit, period)
                    others = (f"{numerator}-", unit, period)
                    values[others] = values[d] - values[n]
                    lines.append([n, others, d])
        rests = [key for key in values if key[2] == "rest"]
        others = [key for key in values if key[0].endswith("-")]
        hidden = (
            set()  # companion days are the chair's days, not workers: nobody to single out
            if parts[0].startswith("companion_days")
            else protect(values, lines, totals, k, zeros=True, floors=False, unshown=rests, secret=others)
        )
        for key, value in values.items():
            if key[2] != "rest" and not key[0].endswith("-"):
                shown[key] = None if key in hidden else value

    def figures(unit: str) -> dict:
        out = {}
        for period in PERIODS:
            got = {"received": {"count": shown[("received.d", unit, period)]}}
            for name in ("answered", "resolved", "satisfied", "companion_days"):
                n, d = shown[(f"{name}.n", unit, period)], shown[(f"{name}.d", unit, period)]
                got[name] = {
                    "numerator": n if d is not None else None,
                    "denominator": d,
                    "value": round(n / d, 4) if n is not None and d else None,
                }
            out[period] = got
        return out

    return {
        "fewer_than": k,
        "periods": {p: {"start": s, "end": e} for p, (s, e) in spans.items()},
        "city": {"figures": figures(CITY)},
        "counties": [
            {
                "code": county,
                "name": info["name"],
                "figures": figures(county),
                "enterprises": [
                    {"code": u.code, "name": u.name, "figures": figures(u.code)} for u in info["enterprises"]
                ],
            }
            for county, info in counties.items()
        ],
        "definitions": {
            name: {locale: translate(locale, text) for locale in ("zh", "en")}
            for name, text in DEFINITIONS.items()
        },
    }
