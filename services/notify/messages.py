"""The texts notify sends, from the translation catalogue: mail and group messages Chinese first and
English second; SMS in Chinese alone, within one 70-character segment (a test holds them to it).

No message carries a demand's description or the worker's identity to staff; an SMS to a worker
carries only the link to the status page (the tracking code is in it).
"""

from __future__ import annotations

from datetime import datetime

from shared import clock, events
from shared.i18n import both, translate
from shared.labels import CATEGORY, N_, STATUS

SMS_LIMIT = 70  # characters in one segment of a Chinese SMS (UCS-2)
LOCALES = ("zh", "en")
# Who supervises at each level (督办级别).
LEVEL = {1: N_("the county union"), 2: N_("the city federation")}
# Why supervision rose by itself; a supervisor's own reason is shown as they wrote it (mail, groups).
WHY = {
    "accept_overdue": N_("not accepted in time"),
    "resolve_overdue": N_("not resolved in time"),
    "supervised_overdue": N_("supervised deadline missed"),
}
BY_HAND = N_("raised by a supervisor")
DEADLINE = {
    "accept": N_("to accept"),
    "resolve": N_("to resolve"),
    "supervised": N_("to resolve under supervision"),
}
WHEN = {"half_time": N_("half of the time has passed"), "day_before": N_("one working day is left")}


def _category(code: str | None, locale: str) -> str:
    return translate(locale, CATEGORY[code]) if code in CATEGORY else (code or "")


def _label(labels: dict, key: object, locale: str) -> str:
    return translate(locale, labels[key]) if key in labels else str(key or "")


def short_time(moment: datetime | None) -> str:
    """A deadline in an SMS: China time, ``12-05 17:30``."""
    return clock.local(moment).strftime("%m-%d %H:%M") if moment else ""


def short_case(case_id: str) -> str:
    return case_id[:8]


def _in_both(render) -> str:
    """A body made by ``render(locale)``, Chinese first and English second."""
    return "\n\n----\n\n".join(render(locale) for locale in LOCALES)


def case_assigned(e: events.CaseAssigned) -> tuple[str, str]:
    subject = both("New demand assigned to you (case %(case)s)", case=e.case_id[:8])

    def render(locale: str) -> str:
        return "\n".join(
            [
                translate(locale, "A new demand has been assigned to you."),
                translate(locale, "Case: %(case)s", case=e.case_id),
                translate(locale, "Category: %(category)s", category=_category(e.category, locale)),
                translate(locale, "Enterprise: %(enterprise)s", enterprise=e.enterprise_code or ""),
                translate(locale, "Accept by: %(due)s", due=clock.for_people(e.accept_due)),
                translate(locale, "Resolve by: %(due)s", due=clock.for_people(e.resolve_due)),
            ]
        )

    return subject, _in_both(render)


# -- supervision (督办) ------------------------------------------------------------------------------
def why(e: events.CaseSupervisionRaised, locale: str, sms: bool = False) -> str:
    """Why supervision rose: a missed deadline in words, or the supervisor's reason (not in an SMS)."""
    if e.reason in WHY:
        return translate(locale, WHY[e.reason])
    return translate(locale, BY_HAND) if sms or not e.reason else e.reason


def supervision_raised(e: events.CaseSupervisionRaised) -> tuple[str, str]:
    """To the officers of the level, and to its group: the case, the level, why, the due dates."""
    subject = " / ".join(
        translate(
            locale,
            "Case %(case)s is under supervision by %(level)s",
            case=short_case(e.case_id),
            level=_label(LEVEL, e.level, locale),
        )
        for locale in LOCALES
    )

    def render(locale: str) -> str:
        lines = [
            translate(
                locale, "Supervision of a case rose to %(level)s.", level=_label(LEVEL, e.level, locale)
            ),
            translate(locale, "Case: %(case)s", case=e.case_id),
            translate(locale, "Why: %(why)s", why=why(e, locale)),
        ]
        if e.enterprise_code:
            lines.append(translate(locale, "Enterprise: %(enterprise)s", enterprise=e.enterprise_code))
        for message, due in (
            (N_("Accept by: %(due)s"), e.accept_due),
            (N_("Resolve by: %(due)s"), e.resolve_due),
            (N_("Supervised deadline: %(due)s"), e.supervised_due),
        ):
            if due is not None:
                lines.append(translate(locale, message, due=clock.for_people(due)))
        return "\n".join(lines)

    return subject, _in_both(render)


def supervision_sms(e: events.CaseSupervisionRaised) -> str:
    due = e.supervised_due or e.resolve_due
    values = dict(case=short_case(e.case_id), level=_label(LEVEL, e.level, "zh"), why=why(e, "zh", sms=True))
    if due is None:
        return translate("zh", "[Xinsheng] Case %(case)s is supervised by %(level)s (%(why)s).", **values)
    return translate(
        "zh",
        "[Xinsheng] Case %(case)s is supervised by %(level)s (%(why)s); resolve by %(due)s.",
        due=short_time(due),
        **values,
    )


# -- reminders ---------------------------------------------------------------------------------------
def when(e: events.CaseReminderDue, locale: str) -> str:
    """How near the deadline is: half the time gone (or another share of it), or one working day left."""
    if e.when == "half_time" and e.fraction is not None and abs(e.fraction - 0.5) > 0.001:
        return translate(locale, "%(share)s of the time has passed", share=f"{round(e.fraction * 100)}%")
    return _label(WHEN, e.when, locale)


def reminder(e: events.CaseReminderDue) -> tuple[str, str]:
    subject = " / ".join(
        translate(
            locale,
            "Reminder: case %(case)s: %(deadline)s by %(due)s",
            case=short_case(e.case_id),
            deadline=_label(DEADLINE, e.deadline, locale),
            due=clock.for_people(e.due),
        )
        for locale in LOCALES
    )

    def render(locale: str) -> str:
        return "\n".join(
            [
                translate(
                    locale,
                    "A deadline of a case you hold draws near: %(when)s.",
                    when=when(e, locale),
                ),
                translate(locale, "Case: %(case)s", case=e.case_id),
                translate(
                    locale,
                    "Due: %(deadline)s by %(due)s",
                    deadline=_label(DEADLINE, e.deadline, locale),
                    due=clock.for_people(e.due),
                ),
            ]
        )

    return subject, _in_both(render)


def reminder_sms(e: events.CaseReminderDue) -> str:
    return translate(
        "zh",
        "[Xinsheng] Reminder: case %(case)s: %(deadline)s by %(due)s (%(when)s).",
        case=short_case(e.case_id),
        deadline=_label(DEADLINE, e.deadline, "zh"),
        due=short_time(e.due),
        when=when(e, "zh"),
    )


# -- to a named worker -------------------------------------------------------------------------------
def worker_ack(tracking_code: str, status_url: str) -> tuple[str, str]:
    subject = both("Your demand is registered: %(code)s", code=tracking_code)
    body = _in_both(
        lambda locale: (
            translate(
                locale,
                "Thank you. Your demand is registered with tracking code %(code)s.",
                code=tracking_code,
            )
            + "\n"
            + translate(locale, "Follow it here: %(url)s", url=status_url)
        )
    )
    return subject, body


def worker_ack_sms(status_url: str) -> str:
    return translate("zh", "[Xinsheng] Your demand is registered. Follow it here: %(url)s", url=status_url)


def worker_answer(tracking_code: str, status: str, note: str | None, status_url: str) -> tuple[str, str]:
    """To a named worker: the case is resolved (answer within the window) or rejected (with the reason)."""
    subject = both("Your demand %(code)s has an answer", code=tracking_code)

    def render(locale: str) -> str:
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
        return "\n".join(lines)

    return subject, _in_both(render)


def worker_answer_sms(status: str, status_url: str) -> str:
    if status == "resolved":
        return translate(
            "zh", "[Xinsheng] Your demand is resolved. Tell us if it helped: %(url)s", url=status_url
        )
    return translate("zh", "[Xinsheng] Your demand was not accepted; the reason: %(url)s", url=status_url)


# -- the companion day (陪伴日) ------------------------------------------------------------------------
def companion_day_missed(e: events.CompanionDayMissed) -> tuple[str, str]:
    """To the county union's officers: an enterprise's companion day passed with no visit recorded
    and was not called off beforehand."""
    subject = both(
        "Companion day missed: %(enterprise)s, %(day)s", enterprise=e.enterprise_name, day=e.day.isoformat()
    )

    def render(locale: str) -> str:
        return "\n".join(
            [
                translate(
                    locale,
                    "The companion day of %(enterprise)s (%(code)s) on %(day)s passed with no visit recorded, "
                    "and it was not called off beforehand.",
                    enterprise=e.enterprise_name,
                    code=e.enterprise_code,
                    day=e.day.isoformat(),
                ),
                translate(locale, "Please follow it up with the enterprise's union chair."),
            ]
        )

    return subject, _in_both(render)
