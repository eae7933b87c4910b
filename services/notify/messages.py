"""The texts notify sends, Chinese first and English second, from the translation catalogue.

No message carries a demand's description or the worker's identity to staff.
"""
from __future__ import annotations

from datetime import datetime

from shared import events
from shared.i18n import both, translate
from shared.labels import CATEGORY
from services.routing.deadlines import CST


def _local(at: datetime) -> str:
    return at.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def _category(code: str | None, locale: str) -> str:
    return translate(locale, CATEGORY[code]) if code in CATEGORY else (code or "")


def case_assigned(e: events.CaseAssigned) -> tuple[str, str]:
    subject = both("New demand assigned to you (case %(case)s)", case=e.case_id[:8])
    parts = []
    for locale in ("zh", "en"):
        parts.append(translate(locale, "A new demand has been assigned to you.") + "\n"
                     + translate(locale, "Case: %(case)s", case=e.case_id) + "\n"
                     + translate(locale, "Category: %(category)s", category=_category(e.category, locale)) + "\n"
                     + translate(locale, "Enterprise: %(enterprise)s", enterprise=e.enterprise_code or "") + "\n"
                     + translate(locale, "Accept by: %(due)s", due=_local(e.accept_due)) + "\n"
                     + translate(locale, "Resolve by: %(due)s", due=_local(e.resolve_due)))
    return subject, "\n\n----\n\n".join(parts)


def worker_ack(tracking_code: str, status_url: str) -> tuple[str, str]:
    subject = both("Your demand is registered: %(code)s", code=tracking_code)
    parts = [translate(locale, "Thank you. Your demand is registered with tracking code %(code)s.",
                     code=tracking_code) + "\n"
             + translate(locale, "Follow it here: %(url)s", url=status_url) for locale in ("zh", "en")]
    return subject, "\n\n----\n\n".join(parts)
