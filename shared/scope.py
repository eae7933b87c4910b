"""Who may see which demand, as one rule for every service that shows demands to staff.

- an enterprise chair: the demands of their enterprise, except those about the chair or retaliation;
- a county officer: the demands of the county's enterprises, and those routed to the county;
- the city federation and administrators: every demand.
Outside one's scope a demand does not exist: it is missing from lists, counts and exports, and
asking for it is a 404, never a 403.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import ColumnElement, and_, false, or_, true

from shared.auth import Staff


def condition(
    staff: Staff,
    *,
    enterprise: ColumnElement[str],
    about_chair: ColumnElement[bool],
    assignee_org: ColumnElement[str],
    in_county: Callable[[str], ColumnElement[bool]],
) -> ColumnElement[bool]:
    """The condition on a table of demands that keeps what ``staff`` may see, given that table's
    columns and ``in_county(code)``, the condition that a row's enterprise lies in that county."""
    if staff.role in ("city_officer", "admin"):
        return true()
    if staff.role == "county_officer":
        return or_(in_county(staff.org_code), assignee_org == staff.org_code)
    if staff.role == "enterprise_chair":
        return and_(enterprise == staff.org_code, about_chair.is_(False))
    return false()
