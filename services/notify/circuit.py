"""A circuit breaker per channel (the SMS gateway, the SMTP server, each group bot), so a gateway
that is down is not hammered: after ``failures`` failures in a row the channel is not called for
``cooldown``; its messages wait (deferred, not counted as attempts); then one trial call decides
whether it closes again or stays open for another cool-down.

The state is this dispatcher process's own: each dispatcher learns of an outage by itself, after a
few calls. ``xinsheng_notify_circuit_open{channel}`` is 1 while open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shared import metrics

RETRY_WHILE_TRYING = timedelta(seconds=1)


@dataclass
class _State:
    failures: int = 0
    open_until: datetime | None = None
    trial: bool = False  # the one call let through once the cool-down is over


class Circuit:
    def __init__(self, failures: int, cooldown: timedelta):
        self.threshold, self.cooldown = max(1, failures), cooldown
        self._states: dict[str, _State] = {}

    def allows(self, channel: str, now: datetime) -> bool:
        """Whether to call ``channel`` now: closed, or open with the cool-down over and no trial yet."""
        state = self._states.get(channel)
        if state is None or state.open_until is None:
            return True
        if now < state.open_until or state.trial:
            return False
        state.trial = True
        return True

    def reopens_at(self, channel: str, now: datetime) -> datetime:
        """When a message held back by an open circuit should be looked at again."""
        state = self._states.get(channel)
        if state is None or state.open_until is None or state.open_until <= now:
            return now + RETRY_WHILE_TRYING
        return state.open_until

    def record(self, channel: str, ok: bool, now: datetime) -> None:
        """The outcome of a call of ``channel``."""
        state = self._states.setdefault(channel, _State())
        if ok:
            if state.open_until is not None:
                metrics.NOTIFY_CIRCUIT_OPEN.labels(channel).set(0)
            self._states[channel] = _State()
            return
        state.failures += 1
        if state.trial or state.failures >= self.threshold:
            state.open_until, state.trial = now + self.cooldown, False
            metrics.NOTIFY_CIRCUIT_OPEN.labels(channel).set(1)

    def is_open(self, channel: str) -> bool:
        state = self._states.get(channel)
        return state is not None and state.open_until is not None
