"""How a message leaves: mail through smtplib, SMS and the staff group bots through Apprise (one
library for SMS gateways, DingTalk and WeCom bots and plain JSON webhooks), or the ``log`` channel
(the message stays in the notification log) when no gateway is configured.

A gateway's URL carries its key, and Apprise logs the URLs it loads (a phone number among them):
Apprise's log is kept apart from ours, and a failure is described in our own few words (an HTTP
status, "connection error"), never with a server's text, an address or a URL.
"""

from __future__ import annotations

import logging
import re
import smtplib
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from services.notify.config import Settings

# Generic webhooks post what they are given: for them the phone number can travel as a payload field,
# Apprise's ``:field=value`` URL parameter. Any other SMS plugin names it where its URL says: {phone}.
PAYLOAD_SCHEMES = ("json", "jsons", "form", "forms", "xml", "xmls")
PHONE = "{phone}"
_ORG_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_EXAMPLE_PHONE = "+8613800000000"


class SendFailed(Exception):
    """A channel did not take a message. ``reason`` is safe to store, log and publish."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason[:300]


def describe(exc: Exception) -> str:
    """Why sending failed, without the server's text: it often quotes the recipient's address."""
    code = getattr(exc, "smtp_code", None) or getattr(exc, "errno", None)
    return f"{type(exc).__name__}" + (f" {code}" if code else "")


class Mailer:
    def __init__(self, settings: Settings):
        self.settings = settings

    def send(self, notification_id: str, recipient: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.settings.smtp_from, recipient, subject
        msg["Message-ID"] = make_msgid(idstring=notification_id, domain="xinsheng")
        msg.set_content(body)
        try:
            with smtplib.SMTP(
                self.settings.smtp_host, self.settings.smtp_port, timeout=self.settings.smtp_timeout
            ) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendFailed(describe(exc)) from None


# -- Apprise --------------------------------------------------------------------------------------
class _ApprisesWords(logging.Handler):
    """Apprise's log lines, kept for the thread that is sending and passed on to no other log."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(self.local, "lines", None)
        if lines is not None:
            lines.append(record.getMessage())


_words = _ApprisesWords()
_kept_apart = threading.Lock()


def _keep_apprise_log_apart() -> None:
    """Apprise's logger writes only to ``_words`` (done once, at the first use, not at import)."""
    with _kept_apart:
        logger = logging.getLogger("apprise")
        if _words not in logger.handlers:
            logger.addHandler(_words)
            logger.propagate = False
            logger.setLevel(logging.WARNING)


def scheme_of(url: str) -> str:
    """An Apprise URL's scheme, safe to show (the rest may hold a key)."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    return scheme.lower() if re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,20}", scheme) else "?"


def _plugin(url: str) -> Any:
    import apprise

    _keep_apprise_log_apart()
    return apprise.Apprise.instantiate(url)


def _why(lines: list[str]) -> str:
    """Our words for what Apprise said: an HTTP status, a connection error or a timeout."""
    text = " ".join(lines)
    status = re.search(r"error=(\d{3})\b", text)
    if status:
        return f"HTTP {status.group(1)}"
    if re.search(r"timed? ?out", text, re.I):
        return "timeout"
    if re.search(r"connection", text, re.I):
        return "connection error"
    return "not delivered"


def apprise_send(url: str, title: str, body: str) -> None:
    """Send through the Apprise URL ``url``; SendFailed with the reason in our words."""
    scheme = scheme_of(url)
    _words.local.lines = []
    try:
        plugin = _plugin(url)
        if plugin is None:
            raise SendFailed(f"{scheme}: not an Apprise URL")
        try:
            ok = plugin.notify(body=body, title=title)
        except Exception as exc:  # a plugin may raise anything; its text may hold the URL
            raise SendFailed(f"{scheme}: {type(exc).__name__}") from None
        if not ok:
            raise SendFailed(f"{scheme}: {_why(_words.local.lines)}")
    finally:
        _words.local.lines = None


def sms_url(template: str, phone: str) -> str:
    """The SMS gateway's URL for one recipient: the number where ``{phone}`` stands, or, for a
    generic webhook (json://, form://, xml://), as the payload field ``to``."""
    number = quote(re.sub(r"[\s()-]", "", phone), safe="")
    if PHONE in template:
        return template.replace(PHONE, number)
    return f"{template}{'&' if '?' in template else '?'}:to={number}"


# -- the settings' checks (each names what is wrong, never a URL: it holds a key) ----------------
def check_sms_url(url: str) -> str:
    url = url.strip()
    if not url:
        return url
    if PHONE not in url and scheme_of(url) not in PAYLOAD_SCHEMES:
        raise ValueError(
            f"SMS_URL ({scheme_of(url)}://) must say where the phone number goes: put {PHONE} in it, "
            f"or use a generic webhook ({', '.join(PAYLOAD_SCHEMES)}), which gets it as the field 'to'"
        )
    if _plugin(sms_url(url, _EXAMPLE_PHONE)) is None:
        raise ValueError(f"SMS_URL ({scheme_of(url)}://) is not a URL Apprise knows")
    return url


def parse_group_urls(value: object) -> dict[str, str]:
    """``GROUP_URLS``: ``CODE=URL`` pairs separated by spaces or new lines, one per organisation
    (a county code, or ``city``), e.g. ``C01=dingtalk://TOKEN/ city=wecombot://KEY``."""
    if isinstance(value, dict):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    elif isinstance(value, str):
        pairs = []
        for number, entry in enumerate(value.split(), start=1):
            code, sep, url = entry.partition("=")
            if not sep or not url:
                raise ValueError(f"GROUP_URLS: entry {number} is not CODE=URL")
            pairs.append((code, url))
    else:
        raise ValueError("GROUP_URLS: CODE=URL pairs separated by spaces")
    urls: dict[str, str] = {}
    for code, url in pairs:
        if not _ORG_CODE.match(code):
            raise ValueError(f"GROUP_URLS: {code[:40]!r} is not an organisation code (letters, digits, - _)")
        if code in urls:
            raise ValueError(f"GROUP_URLS: {code} is given twice")
        if _plugin(url) is None:
            raise ValueError(f"GROUP_URLS: the URL of {code} ({scheme_of(url)}://) is not one Apprise knows")
        urls[code] = url
    return urls


# -- the channels ---------------------------------------------------------------------------------
QUIET = ("sms", "group")  # they buzz a phone: the daytime window holds them (services/notify/daytime.py)


class Channels:
    """Sends one notification row by its channel; the circuit key of each channel."""

    def __init__(self, settings: Settings, mailer: Mailer | None = None):
        self.settings = settings
        self.mailer = mailer or Mailer(settings)

    @staticmethod
    def circuit_key(row: Any) -> str | None:
        """The channel as the circuit breaker counts it: each group bot on its own; none for ``log``."""
        if row.channel == "group":
            return f"group:{row.recipient_id}"
        return None if row.channel == "log" else row.channel

    def send(self, row: Any) -> None:
        """Send the message of ``row``; SendFailed if its channel did not take it."""
        if row.channel == "log":
            return  # the message stays in the notification log, nowhere else (no contact in logs)
        if row.channel == "email":
            self.mailer.send(row.id, row.recipient, row.subject, row.body)
        elif row.channel == "sms":
            if not self.settings.sms_url or not row.recipient:
                raise SendFailed("sms: no gateway or no number")
            apprise_send(sms_url(self.settings.sms_url, row.recipient), "", row.body)
        elif row.channel == "group":
            url = self.settings.group_urls.get(row.recipient_id or "")
            if url is None:
                raise SendFailed("group: no URL for this organisation")
            apprise_send(url, row.subject, row.body)
        else:
            raise SendFailed(f"unknown channel {row.channel}")
