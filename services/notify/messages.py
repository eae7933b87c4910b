"""The texts notify sends, Chinese first and English second, from the translation catalogue.

No message carries a demand's description or the worker's identity to staff.
"""

from __future__ import annotations

from shared import clock, events
from shared.i18n import both, translate
from shared.labels import CATEGORY, STATUS


def _category(code: str | None, locale: str) -> str:
    return translate(locale, CATEGORY[code]) if code in CATEGORY else (code or "")


def case_assigned(e: events.CaseAssigned) -> tuple[str, str]:
    subject = both("New demand assigned to you (case %(case)s)", case=e.case_id[:8])
    parts = []
    for locale in ("zh", "en"):
        parts.append(
            translate(locale, "A new demand has been assigned to you.")
            + "\n"
            + translate(locale, "Case: %(case)s", case=e.case_id)
            + "\n"
            + translate(locale, "Category: %(category)s", category=_category(e.category, locale))
            + "\n"
            + translate(locale, "Enterprise: %(enterprise)s", enterprise=e.enterprise_code or "")
            + "\n"
            + translate(locale, "Accept by: %(due)s", due=clock.for_people(e.accept_due))
            + "\n"
            + translate(locale, "Resolve by: %(due)s", due=clock.for_people(e.resolve_due))
        )
    return subject, "\n\n----\n\n".join(parts)


def worker_ack(tracking_code: str, status_url: str) -> tuple[str, str]:
    subject = both("Your demand is registered: %(code)s", code=tracking_code)
    parts = [
        translate(
            locale, "Thank you. Your demand is registered with tracking code %(code)s.", code=tracking_code
        )
        + "\n"
        + translate(locale, "Follow it here: %(url)s", url=status_url)
        for locale in ("zh", "en")
    ]
    return subject, "\n\n----\n\n".join(parts)


def worker_answer(tracking_code: str, status: str, note: str | None, status_url: str) -> tuple[str, str]:
    """To a named worker: the case is resolved (answer within the window) or rejected (with the reason)."""
    subject = both("Your demand %(code)s has an answer", code=tracking_code)
    parts = []
    for locale in ("zh", "en"):
        lines = [
            translate(
                locale,
                "Your demand %(code)s is now: %(status)s.",
                code=tracking_code,
                status=translate(locale, STATUS[status]),
            )
        ]
        if note:
            lines.append(note)
        if status == "resolved":
            lines.append(translate(locale, "Tell us whether it is resolved for you: %(url)s", url=status_url))
        else:
            lines.append(translate(locale, "Follow it here: %(url)s", url=status_url))
        parts.append("\n".join(lines))
    return subject, "\n\n----\n\n".join(parts)
