"""Display names of the codes of DESIGN §3, as catalogue message ids.

Translate them where they are shown: ``gettext(label)`` in a request, ``shared.i18n.gettext``
in a worker. ``N_`` only marks them for extraction.
"""

from flask_babel import gettext


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, don't translate"
    return message


def shown(labels: dict[str, str], code: str) -> str:
    """The label of a code in the request's language."""
    label: str = gettext(labels[code])  # flask_babel ships no types
    return label


CATEGORY = {
    "safety_health": N_("Safety and occupational health"),
    "wages": N_("Wages and pay"),
    "hours_leave": N_("Working hours and leave"),
    "contract": N_("Labour contract"),
    "social_insurance": N_("Social insurance"),
    "welfare": N_("Welfare and daily life"),
    "workplace": N_("Equipment and environment"),
    "training_career": N_("Training and career"),
    "harassment_discrimination": N_("Discrimination and harassment"),
    "other": N_("Other"),
}
CHANNEL = {
    "kiosk": N_("Kiosk"),
    "web": N_("Web form"),
    "mobile": N_("Mobile"),
    "visit": N_("Visit"),
    "forum": N_("Forum"),
    "survey": N_("Survey"),
    "hotline": N_("Hotline"),
}
STATUS = {
    "registered": N_("Registered"),
    "assigned": N_("Assigned"),
    "accepted": N_("Accepted"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
    "closed": N_("Closed"),
    "rejected": N_("Not accepted"),
    "reopened": N_("Reopened"),
    "merged": N_("Merged"),
}
URGENCY = {"normal": N_("Normal"), "urgent": N_("Urgent")}
# Timeline steps that move no status (督办 by level; the paused resolve clock).
SUPERVISION = {
    1: N_("Under supervision by the county union"),
    2: N_("Under supervision by the city federation"),
}
CLOCK = {"paused": N_("Time limit paused"), "resumed": N_("Time limit running again")}
