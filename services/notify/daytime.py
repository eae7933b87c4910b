"""The daytime window (DESIGN §2): messages that buzz a phone, SMS and the staff group bots, go out
between 08:00 and 21:00 China time (``DAYTIME``) unless the demand is urgent; outside it they wait for
the next opening. Mail and the log channel wake nobody and go at once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from shared import clock

_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
ALWAYS = ("always", "off", "")


@dataclass(frozen=True)
class Window:
    """``start``–``end`` in China time, every day; ``start`` after ``end`` spans midnight. ``None``:
    always open."""

    start: time | None = None
    end: time | None = None

    @classmethod
    def parse(cls, text: str) -> Window:
        """``"08:00-21:00"``; ``"always"`` (or ``"off"``): no window. ValueError, in words, otherwise."""
        if text.strip().lower() in ALWAYS:
            return cls()
        match = _SPAN.match(text)
        if match is None:
            raise ValueError("DAYTIME must be HH:MM-HH:MM in China time (e.g. 08:00-21:00), or 'always'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError("DAYTIME: hours are 00-23 and minutes 00-59")
        if (h1, m1) == (h2, m2):
            raise ValueError("DAYTIME: the window starts and ends at the same time; say 'always' instead")
        return cls(time(h1, m1), time(h2, m2))

    def is_open(self, moment: datetime) -> bool:
        if self.start is None or self.end is None:
            return True
        now = clock.local(moment).time()
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` itself when the window is open then, else the next time it opens (UTC)."""
        if self.start is None or self.is_open(moment):
            return moment
        day = clock.local(moment).date()
        opening = clock.day_start(day) + timedelta(hours=self.start.hour, minutes=self.start.minute)
        return opening if opening > moment else opening + timedelta(days=1)
