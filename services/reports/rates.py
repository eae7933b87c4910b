"""The federation's rates (DESIGN §3), each as numerator and denominator, for a period and a scope,
and the cases behind any number.

"In the period" is decided by the date each rate names (China days); a case counts once, at its
final outcome. Only demands whose submission has arrived count, so no half-known demand is counted.

| rate | in the period by | numerator | denominator |
|---|---|---|---|
| received | submitted | a count, and the rejected among them | |
| on_time_acceptance | assigned | accepted or rejected by the accept deadline then in force | assigned, merged excluded |
| resolution | final resolve due | closed (the worker satisfied, or no answer) | due, rejected and merged excluded |
| on_time_resolution | first resolved | first resolution by the deadline then in force | resolved |
| satisfaction | the worker's latest answer | satisfied | cases answered |
| supervised_1, supervised_2 | assigned | reached level 1, 2 | assigned, merged excluded |

Beside them: ``closed_without_answer`` (a count over the resolution rate's cases, never read as
satisfaction) and ``days_to_resolve`` (median and p90, assignment to first resolution, paused time
excluded, over the on-time resolution's cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import quantiles

from sqlalchemy import and_, case, func, literal, or_, select, text

from services.reports.models import county_rates, enterprises, facts
from services.reports.summary import in_scope
from shared import auth, clock
from shared.i18n import translate
from shared.labels import N_

f = facts.c


@dataclass(frozen=True)
class Rate:
    by: object  # the column whose date puts a case in the period
    base: tuple  # the denominator's conditions beyond the period
    numerator: object  # the numerator's condition, within the denominator
    definition: str  # in English, marked for the catalogue


NOT_MERGED = f.status != "merged"
RATES: dict[str, Rate] = {
    "on_time_acceptance": Rate(
        f.assigned_at,
        (NOT_MERGED,),
        and_(f.answered_at.is_not(None), f.answered_at <= f.answer_due),
        N_(
            "Cases assigned in the period (merged excluded); of them, those accepted, or rejected with "
            "a reason, by the accept deadline in force then."
        ),
    ),
    "resolution": Rate(
        f.resolve_due,
        (f.assigned_at.is_not(None), f.status.not_in(("rejected", "merged"))),
        f.status == "closed",
        N_(
            "Cases whose final resolve deadline falls in the period (rejected and merged excluded); of "
            "them, those closed: the worker satisfied, or no answer within the window."
        ),
    ),
    "on_time_resolution": Rate(
        f.first_resolved_at,
        (),
        f.first_resolved_at <= f.first_resolve_due,
        N_(
            "Cases first resolved in the period, each once; of them, those resolved by the deadline "
            "then in force (extensions and paused time counted)."
        ),
    ),
    "satisfaction": Rate(
        f.final_answer_at,
        (),
        f.final_satisfied.is_(True),
        N_(
            "Cases whose worker's latest answer came in the period; of them, those satisfied. No "
            "answer is never satisfaction."
        ),
    ),
    "supervised_1": Rate(
        f.assigned_at,
        (NOT_MERGED,),
        f.supervision_level >= 1,
        N_(
            "Cases assigned in the period (merged excluded); of them, those supervised by the county union or above."
        ),
    ),
    "supervised_2": Rate(
        f.assigned_at,
        (NOT_MERGED,),
        f.supervision_level >= 2,
        N_(
            "Cases assigned in the period (merged excluded); of them, those supervised by the city federation."
        ),
    ),
}
RECEIVED = N_("Demands submitted in the period, and the rejected among them.")
WITHOUT_ANSWER = N_(
    "Of the resolution rate's cases, those closed because the worker gave no answer: counted apart, "
    "never as satisfied."
)
DAYS = N_(
    "Days from assignment to first resolution (paused time excluded), median and 90th percentile, "
    "over the cases first resolved in the period."
)
GROUPS = ("county", "enterprise", "category", "channel", "month")


@dataclass(frozen=True)
class Scope:
    """The period, the filters and the staff member asking."""

    start: date
    end: date
    staff: auth.Staff | None
    county: str | None = None
    enterprise: str | None = None
    category: str | None = None
    channel: str | None = None

    def conditions(self, by) -> list:
        """The period by ``by`` and the scope."""
        return [*self.period(by), *self.common()]

    def period(self, by) -> list:
        return [by >= clock.day_start(self.start), by < clock.day_start(self.end + timedelta(days=1))]

    def common(self) -> list:
        """The scope and the filters: a demand whose submission arrived, within the caller's scope."""
        conds = [f.submitted_at.is_not(None), in_scope(self.staff)]
        if self.county:
            conds.append(
                f.enterprise_code.in_(
                    select(enterprises.c.code).where(enterprises.c.county_code == self.county)
                )
            )
        for column, value in (
            (f.enterprise_code, self.enterprise),
            (f.category, self.category),
            (f.channel, self.channel),
        ):
            if value:
                conds.append(column == value)
        return conds

    def echo(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "county": self.county,
            "enterprise": self.enterprise,
            "category": self.category,
            "channel": self.channel,
        }


def _month(conn, by):
    """The China month (YYYY-MM) of a moment, in the database's own terms."""
    if conn.dialect.name == "postgresql":
        return func.to_char(func.timezone(clock.CST.key, by), "YYYY-MM")
    return func.strftime("%Y-%m", by, "+8 hours")


def _key(conn, group: str | None, by) -> tuple[object, list]:
    """The group's expression (a constant without grouping) and the joins it needs."""
    if group is None:
        return literal("all"), []
    if group == "county":
        return enterprises.c.county_code, [enterprises]
    if group == "month":
        return _month(conn, by), []
    return {"enterprise": f.enterprise_code, "category": f.category, "channel": f.channel}[group], []


def _counted(conn, scope: Scope, group: str | None, by, base, numerator) -> dict:
    key, joins = _key(conn, group, by)
    source = facts.outerjoin(enterprises, enterprises.c.code == f.enterprise_code) if joins else facts
    rows = conn.execute(
        select(key.label("k"), func.count(), func.coalesce(func.sum(case((numerator, 1), else_=0)), 0))
        .select_from(source)
        .where(*scope.conditions(by), *base)
        .group_by(key)
    ).all()
    return {k: (int(n), int(d)) for k, d, n in rows}


def fraction(numerator: int, denominator: int) -> dict:
    return {
        "numerator": numerator,
        "denominator": denominator,
        "value": round(numerator / denominator, 4) if denominator else None,
    }


def _days(conn, scope: Scope, group: str | None) -> dict:
    """Median and p90 of the days to resolve, per group."""
    by = f.first_resolved_at
    key, joins = _key(conn, group, by)
    source = facts.outerjoin(enterprises, enterprises.c.code == f.enterprise_code) if joins else facts
    where = [*scope.conditions(by), f.resolve_seconds.is_not(None)]
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            select(
                key.label("k"),
                func.count(),
                func.percentile_cont(0.5).within_group(f.resolve_seconds),
                func.percentile_cont(0.9).within_group(f.resolve_seconds),
            )
            .select_from(source)
            .where(*where)
            .group_by(key)
        ).all()
        return {k: _spread(n, med, p90) for k, n, med, p90 in rows}
    seconds: dict = {}
    for k, s in conn.execute(select(key.label("k"), f.resolve_seconds).select_from(source).where(*where)):
        seconds.setdefault(k, []).append(s)
    return {k: _spread(len(v), *_cont(sorted(v))) for k, v in seconds.items()}


def _cont(values: list[int]) -> tuple[float, float]:
    """The median and the 90th percentile, interpolated as PostgreSQL's percentile_cont."""
    if len(values) == 1:
        return values[0], values[0]
    cuts = quantiles(values, n=10, method="inclusive")
    return cuts[4], cuts[8]


def _spread(n: int, median, p90) -> dict:
    return {
        "cases": n,
        "median": round(float(median) / 86400, 2) if n else None,
        "p90": round(float(p90) / 86400, 2) if n else None,
    }


def _specs() -> list[tuple]:
    """Each count: its name, the date that puts a case in the period, the denominator's conditions,
    the numerator's, and the shape of its figure."""
    resolution = RATES["resolution"]
    return [
        ("received", f.submitted_at, (), f.status == "rejected", lambda n, d: {"count": d, "rejected": n}),
        *((name, r.by, r.base, r.numerator, fraction) for name, r in RATES.items()),
        (
            "closed_without_answer",
            resolution.by,
            resolution.base,
            f.closed_without_answer.is_(True),
            lambda n, d: {"count": n, "of": d},
        ),
    ]


def _figures(conn, scope: Scope, group: str | None) -> dict[object, dict]:
    """Every rate per group (one group, ``"all"``, without grouping): in one pass over the facts, each
    count an aggregate with its own FILTER; by month, one query per rate (each its own date's month)."""
    out: dict[object, dict] = {}
    specs = _specs()
    if group == "month":
        for name, by, base, numerator, shape in specs:
            for k, (n, d) in _counted(conn, scope, group, by, base, numerator).items():
                out.setdefault(k, {})[name] = shape(n, d)
        days = _days(conn, scope, group)
    else:
        key, joins = _key(conn, group, None)
        source = facts.outerjoin(enterprises, enterprises.c.code == f.enterprise_code) if joins else facts
        columns = [key.label("k")]
        for _, by, base, numerator, _ in specs:
            inside = and_(*scope.period(by), *base)
            columns += [func.count().filter(inside), func.count().filter(and_(inside, numerator))]
        dates = list({by.key: by for _, by, *_ in specs}.values())
        rows = conn.execute(
            select(*columns)
            .select_from(source)
            .where(*scope.common(), or_(*(and_(*scope.period(by)) for by in dates)))
            .group_by(key)
        ).all()
        for k, *counts in rows:
            out[k] = {
                name: shape(counts[2 * i + 1], counts[2 * i]) for i, (name, *_, shape) in enumerate(specs)
            }
        days = _days(conn, scope, group)
    for k, spread in days.items():
        out.setdefault(k, {})["days_to_resolve"] = spread
    return {k: {**_empty(), **v} for k, v in out.items()}


def _empty() -> dict:
    """The figures of a group with no case."""
    return {
        "received": {"count": 0, "rejected": 0},
        **{name: fraction(0, 0) for name in RATES},
        "closed_without_answer": {"count": 0, "of": 0},
        "days_to_resolve": _spread(0, None, None),
    }


def definitions() -> dict:
    """Each definition in Chinese and in English."""
    texts = {
        "received": RECEIVED,
        **{name: r.definition for name, r in RATES.items()},
        "closed_without_answer": WITHOUT_ANSWER,
        "days_to_resolve": DAYS,
    }
    return {
        name: {locale: translate(locale, text) for locale in ("zh", "en")} for name, text in texts.items()
    }


def _labels(conn, group: str) -> dict:
    if group == "county":
        rows = conn.execute(select(enterprises.c.county_code, enterprises.c.county_name).distinct())
        return dict(rows.all())
    if group == "enterprise":
        return dict(conn.execute(select(enterprises.c.code, enterprises.c.name)).all())
    return {}


def _tuned(conn) -> None:
    """For this transaction on PostgreSQL: no JIT (its compiling cost more than it saved on a year of
    facts, measured) and room to sort the days to resolve in memory instead of on disk."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")


def rates(conn, scope: Scope, group: str | None = None) -> dict:
    """The rates of the period and scope, and, with ``group``, the same per group."""
    _tuned(conn)
    whole = _figures(conn, scope, None).get("all") or _empty()
    answer = {"period": scope.echo(), "rates": whole, "definitions": definitions()}
    if group:
        per = _figures(conn, scope, group)
        names = _labels(conn, group)
        answer["group_by"] = group
        answer["groups"] = [
            {"key": k, "name": names.get(k), "rates": v}
            for k, v in sorted(per.items(), key=lambda kv: str(kv[0]))
        ]
    return answer


# -- the cases behind a number ----------------------------------------------------------------------
DRILLS = (*RATES, "received", "closed_without_answer")
SHOWN = (
    f.case_id,
    f.grievance_id,
    f.enterprise_code,
    f.category,
    f.channel,
    f.submitted_at,
    f.assigned_at,
    f.accept_due,
    f.answered_at,
    f.resolve_due,
    f.first_resolved_at,
    f.first_resolve_due,
    f.status,
    f.supervision_level,
    f.final_satisfied,
    f.closed_without_answer,
)


def cases(conn, scope: Scope, rate: str, part: str, page: int, per_page: int) -> dict:
    """The cases counted in ``part`` (numerator or denominator) of ``rate``, a page at a time. For
    ``received``, the denominator is every demand received and the numerator the rejected ones."""
    if rate == "received":
        by, base, numerator = f.submitted_at, (), f.status == "rejected"
    elif rate == "closed_without_answer":
        r = RATES["resolution"]
        by, base, numerator = r.by, r.base, f.closed_without_answer.is_(True)
    else:
        r = RATES[rate]
        by, base, numerator = r.by, r.base, r.numerator
    where = [*scope.conditions(by), *base, *((numerator,) if part == "numerator" else ())]
    total = conn.execute(select(func.count()).select_from(facts).where(*where)).scalar_one()
    rows = conn.execute(
        select(*SHOWN)
        .where(*where)
        .order_by(by, f.grievance_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return {
        "rate": rate,
        "part": part,
        "period": scope.echo(),
        "total": total,
        "page": page,
        "per_page": per_page,
        "cases": [dict(r._mapping) for r in rows],
    }


# -- the rates per county, for operators ------------------------------------------------------------
WINDOW_DAYS = 30
FRACTIONS = tuple(RATES)  # the rates with a numerator and a denominator


def refresh_counties(engine) -> int:
    """Compute every rate per county over the last 30 China days and keep them for /metrics (the web
    reads them at each scrape); how many counties."""
    today = clock.today()
    scope = Scope(today - timedelta(days=WINDOW_DAYS - 1), today, None)
    now = clock.now()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # two workers refreshing at once would collide on the keys
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('xinsheng.county_rates'))"))
        per = _figures(conn, scope, "county")
        conn.execute(county_rates.delete())
        kept = [
            {"county_code": county, "rate": name, "computed_at": now, **_parts(figures[name])}
            for county, figures in per.items()
            if county is not None
            for name in FRACTIONS
        ]
        if kept:
            conn.execute(county_rates.insert(), kept)
    return len(per)


def _parts(figure: dict) -> dict:
    return {"numerator": figure["numerator"], "denominator": figure["denominator"]}
