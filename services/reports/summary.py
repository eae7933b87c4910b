"""Counts of demands by status, category, channel, county and enterprise, for a period and a scope.

Only demands whose ``grievance.submitted`` has arrived are counted, so a count never includes a
demand that is half-known.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, true

from services.reports.models import enterprises, facts
from shared import auth, clock, scope

OPEN = ("registered", "assigned", "accepted", "in_progress", "reopened")


def in_scope(staff: auth.Staff | None):
    """The facts ``staff`` may count (all of them for the operators' own metrics: ``None``)."""
    if staff is None:
        return true()
    return scope.condition(
        staff,
        enterprise=facts.c.enterprise_code,
        about_chair=facts.c.about_chair,
        assignee_org=facts.c.assignee_org,
        in_county=lambda code: facts.c.enterprise_code.in_(
            select(enterprises.c.code).where(enterprises.c.county_code == code)
        ),
    )


def _period(start: date | None, end: date | None):
    conds = [facts.c.submitted_at.is_not(None)]
    if start:
        conds.append(facts.c.submitted_at >= clock.day_start(start))
    if end:
        conds.append(facts.c.submitted_at < clock.day_start(end + timedelta(days=1)))
    return conds


def _count_by(conn, column, conds) -> dict[str, int]:
    return {k: n for k, n in conn.execute(select(column, func.count()).where(*conds).group_by(column))}


def summary(
    conn, start: date | None = None, end: date | None = None, staff: auth.Staff | None = None
) -> dict:
    """The counts of the demands submitted in the period and within ``staff``'s scope."""
    conds = [*_period(start, end), in_scope(staff)]
    by_status = _count_by(conn, facts.c.status, conds)
    joined = facts.outerjoin(enterprises, enterprises.c.code == facts.c.enterprise_code)
    counties = conn.execute(
        select(enterprises.c.county_code, enterprises.c.county_name, func.count())
        .select_from(joined)
        .where(*conds)
        .group_by(enterprises.c.county_code, enterprises.c.county_name)
        .order_by(enterprises.c.county_code)
    ).all()
    firms = conn.execute(
        select(facts.c.enterprise_code, enterprises.c.name, enterprises.c.county_code, func.count())
        .select_from(joined)
        .where(*conds)
        .group_by(facts.c.enterprise_code, enterprises.c.name, enterprises.c.county_code)
        .order_by(facts.c.enterprise_code)
    ).all()
    return {
        "period": {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None},
        "total": sum(by_status.values()),
        "open": sum(n for s, n in by_status.items() if s in OPEN),
        "by_status": by_status,
        "by_category": _count_by(conn, facts.c.category, conds),
        "by_channel": _count_by(conn, facts.c.channel, conds),
        "by_county": [{"code": c, "name": n, "count": k} for c, n, k in counties],
        "by_enterprise": [{"code": c, "name": n, "county_code": cc, "count": k} for c, n, cc, k in firms],
    }
