"""gunicorn settings shared by every web process (``python -m services web SERVICE``).

Two things here go beyond settings, both for issue 9:

- ``NoAddresses``, a logging filter on gunicorn's handler: no IP address leaves gunicorn's logs,
  whatever the request (gunicorn writes the client's into "Invalid request from ip=…").
- ``BoundedThreadWorker``: gunicorn's threaded worker, whose event loop reads each request in full
  (a small body included) before a thread sees it, and drops a request that has not arrived within
  REQUEST_READ_SECONDS: a client trickling its headers or body holds a buffer, not a thread, and
  not for long. Behind nginx (docker-compose) this is a second line; under `make up` the only one.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import re
import selectors
import socket
import time
from typing import Any

from gunicorn.workers import gthread  # type: ignore[import-untyped]  # gunicorn ships no types
from prometheus_client import multiprocess

from shared.metrics import process_id

accesslog = None  # requests are counted by route in /metrics; an access log would hold addresses
errorlog = "-"
timeout = 30
graceful_timeout = 20
keepalive = 5
worker_class = "shared.gunicorn_conf.BoundedThreadWorker"
# Threads per worker, for requests that have arrived (they mostly wait on the database); a body
# too large or chunked to be buffered is read by its thread, for at most REQUEST_READ_SECONDS.
threads = int(os.environ.get("WEB_THREADS", "8"))

# How long one request (its line, headers and body) may take to arrive once its first byte has. Our
# bodies are a few KiB: a phone on a poor link sends one in well under a second. A client still
# sending after this is treated as gone: its connection is closed (by the event loop while the
# request is buffered; by the thread reading a larger body, after the app has read an early end of
# it, which werkzeug answers with a 400).
REQUEST_READ_SECONDS = 10.0

WITHHELD = "[address withheld]"

# gunicorn's own lines (boot, worker exits) in the same JSON shape as the services' logs.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "static_fields": {"service": os.environ.get("XINSHENG_SERVICE", "")},
        }
    },
    "filters": {"no_addresses": {"()": "shared.gunicorn_conf.NoAddresses"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
            "filters": ["no_addresses"],
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},  # the app's own setup takes root over later
    "loggers": {
        # Every gunicorn logger goes through the filter: gunicorn.error here, any other (such as
        # gunicorn.http.wsgi) through "gunicorn", never reaching the app's handler on root.
        "gunicorn": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        # No handler: even `--access-logfile` cannot bring the access log (and its addresses) back,
        # since this configuration replaces the handler gunicorn would add.
        "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
    },
}


def child_exit(server: Any, worker: Any) -> None:  # gunicorn's Arbiter and Worker; it ships no types
    multiprocess.mark_process_dead(process_id(worker.pid))


# --- no addresses in gunicorn's logs ---------------------------------------------------------------

# Anything shaped like an IPv4 or IPv6 address (with a zone, and the "key=" naming it, as in
# gunicorn's "ip=…"); each match is checked with `ipaddress` before it is withheld.
_ADDRESS = re.compile(
    r"(?:\b[A-Za-z_][\w-]*=)?"
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,8}(?:\.\d{1,3}){0,3}|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?!\.?\d)(?:%[\w.-]+)?"
)
_KEY = re.compile(r"^[A-Za-z_][\w-]*=")
# The attributes every LogRecord has; anything else on a record came in as `extra`.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _address_in(text: str) -> str | None:
    """The longest leading part of `text` that is an IP address ("::1:" from "ip=::1: …" is ::1)."""
    candidate = text.split("%")[0]
    while len(candidate) > 1:
        try:
            ipaddress.ip_address(candidate)
            return candidate
        except ValueError:
            head, sep, _ = candidate.rpartition(":")
            candidate = head if sep and head.count(":") >= 2 else ""
    return None


def _withhold(match: re.Match[str]) -> str:
    text = match.group(0)
    key = _KEY.match(text)
    value = text[key.end() :] if key else text
    address = _address_in(value)
    if address is None:
        return text
    return WITHHELD + re.sub(r"^%[\w.-]+", "", value[len(address) :])  # the zone goes too


def withhold_addresses(text: str) -> str:
    """`text` with every IP address in it (and the `key=` that names one) replaced by WITHHELD."""
    return _ADDRESS.sub(_withhold, text)


class NoAddresses(logging.Filter):
    """Withholds every IP address from a record: its message, traceback, stack and extra fields.

    By construction, not by a list of gunicorn's messages: whatever gunicorn writes, and whatever
    a client sends that ends up in a record, no address reaches the log. The server's own bind
    address ("Listening at: http://127.0.0.1:8001") is withheld too: on loopback a client has that
    same address, and the port and HOST say where the server listens.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = withhold_addresses(record.getMessage()), None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = withhold_addresses(record.exc_text)
        if record.stack_info:
            record.stack_info = withhold_addresses(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, withhold_addresses(value))
        return True


# --- slow clients ----------------------------------------------------------------------------------

# What the worker's loop holds for a request before a thread sees it: the head, and a body (of known
# length, or chunked) up to BODY_BUFFER, the services' default max_content_length: a larger body is
# refused by the service (413) before it reads a byte of it.
HEAD_BUFFER = 64 * 1024
BODY_BUFFER = 64 * 1024


def request_buffered(data: bytes) -> bool:
    """Whether `data` (the start of a request) is enough to hand to a thread: the whole head and,
    when the head announces a body no larger than BODY_BUFFER, that body.

    It only decides when: gunicorn parses the same bytes. Anything unusual (Expect, a repeated or odd
    Content-Length or Transfer-Encoding, a head or body too long) hands over at once, and gunicorn's
    parser, its limits and the read deadline deal with it.
    """
    ends = [i + len(blank) for blank in (b"\r\n\r\n", b"\n\n") if (i := data.find(blank)) >= 0]
    if not ends:
        return len(data) >= HEAD_BUFFER
    head, body = data[: min(ends)], data[min(ends) :]
    lengths, codings = [], []
    for line in head.splitlines()[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"expect":  # the client waits for gunicorn's "100 Continue" before its body
            return True
        if name == b"content-length":
            lengths.append(value)
        elif name == b"transfer-encoding":
            codings.append(value)
    if codings:
        return codings != [b"chunked"] or bool(lengths) or len(body) > BODY_BUFFER or _chunked_complete(body)
    if len(lengths) != 1 or not lengths[0].isdigit() or int(lengths[0]) > BODY_BUFFER:
        return True  # no body, or one for gunicorn to refuse or to read in a thread
    return len(body) >= int(lengths[0])


def _chunked_complete(body: bytes) -> bool:
    """Whether a chunked body (and its trailers) is all in `body`; True too when it is malformed."""
    at = 0
    while (line_end := body.find(b"\r\n", at)) >= 0:
        try:
            size = int(body[at:line_end].split(b";")[0], 16)
        except ValueError:
            return True
        if size == 0:
            return body.find(b"\r\n\r\n", line_end) >= 0
        at = line_end + 2 + size + 2
    return False


class _DeadlineSocket:
    """What a connection's request parser reads through: each read ends by the request's deadline.

    A read past the deadline returns b"" (the client is taken to have gone) and marks the
    connection expired. A timeout set by gunicorn itself (draining an unread body) is kept too.
    """

    def __init__(self, conn: DeadlineConn):
        self.conn, self.sock = conn, conn.sock
        self.timeout: float | None = None

    def gettimeout(self) -> float | None:
        return self.timeout

    def settimeout(self, value: float | None) -> None:
        self.timeout = value

    def recv(self, size: int) -> bytes:
        left = self.conn.deadline - time.monotonic()
        if left <= 0:
            self.conn.expired = True
            return b""
        self.sock.settimeout(left if self.timeout is None else min(left, self.timeout))
        try:
            data: bytes = self.sock.recv(size)
            return data
        except TimeoutError:
            if time.monotonic() < self.conn.deadline:
                raise  # gunicorn's own timeout: it handles it
            self.conn.expired = True
            return b""
        finally:
            self.sock.settimeout(None)


class DeadlineConn(gthread.TConn):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's connection, with the bytes the worker's loop buffered and a read deadline."""

    deadline = 0.0  # when the request being read must have arrived (time.monotonic())
    expired = False  # the client ran past it
    buffered = False  # the request was buffered by the loop; its deadline is set
    closed = False

    def __init__(self, *args: Any):
        super().__init__(*args)
        self.early = bytearray()  # what the loop has read of the next request

    def close(self, graceful: bool = False) -> None:
        # Twice at most: by the thread that served it, then by the worker's loop, which must find
        # nothing left to do (it counts the connection as gone whatever happens).
        if not self.closed:
            self.closed = True
            super().close(graceful)

    def init(self) -> None:
        fresh = self.parser is None
        super().init()
        unreader = getattr(self.parser, "unreader", None)
        # HTTP/1 only: an HTTP/2 connection (not enabled here) has a parser of another kind.
        if fresh and unreader is not None and isinstance(getattr(unreader, "sock", None), socket.socket):
            unreader.sock = _DeadlineSocket(self)

    def hand_over(self) -> None:
        """Give the parser what the loop read (after anything it still holds), in the right order."""
        self.init()
        self.parser.unreader.buf.seek(0, os.SEEK_END)
        self.parser.unreader.buf.write(bytes(self.early))
        self.early.clear()


class BoundedThreadWorker(gthread.ThreadWorker):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's threaded worker, with requests buffered by its event loop before a thread sees them.

    - The loop reads each request without blocking (`request_buffered` says when it has enough):
      a client trickling its headers or a small body costs a buffer, never a thread.
    - From its first byte, a request has REQUEST_READ_SECONDS to arrive in full: the loop drops a
      connection still being buffered then, and a thread reading the rest of a larger body gets an
      early end (`_DeadlineSocket`).
    - A new or kept-alive connection with nothing to read waits in the loop, never in a thread
      (gunicorn gives each new one a thread that waits up to 5 s for its first byte).
    - A connection that ends is closed by its thread, not by the loop: gunicorn's graceful close
      lingers up to 2 s reading what the client still sends, which would stall the loop.
    """

    def init_process(self) -> None:
        self.buffering: set[DeadlineConn] = set()
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except (BlockingIOError, ConnectionAbortedError):
            return  # another worker took it, or the client left already
        self.nr_conns += 1
        self._buffer(DeadlineConn(self.cfg, sock, client, listener.getsockname()))  # non-blocking

    def on_client_socket_readable(self, conn: DeadlineConn, client: socket.socket) -> None:
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._buffer(conn)

    def _buffer(self, conn: DeadlineConn) -> None:
        conn.sock.setblocking(False)
        conn.timeout = time.monotonic() + self.cfg.keepalive  # for its first byte
        self.buffering.add(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, functools.partial(self._read, conn))

    def _read(self, conn: DeadlineConn, _sock: socket.socket) -> None:
        try:
            data = conn.sock.recv(HEAD_BUFFER + BODY_BUFFER)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        if not conn.early:
            conn.timeout = conn.deadline = time.monotonic() + REQUEST_READ_SECONDS
        conn.early += data
        if request_buffered(bytes(conn.early)):
            self._unwatch(conn)
            conn.sock.setblocking(True)
            conn.data_ready = conn.buffered = True
            conn.hand_over()
            self.enqueue_req(conn)

    def _unwatch(self, conn: DeadlineConn) -> None:
        self.buffering.discard(conn)
        self.poller.unregister(conn.sock)

    def _drop(self, conn: DeadlineConn) -> None:
        self._unwatch(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self.buffering if c.timeout <= now]:
            self._drop(conn)

    def handle(self, conn: DeadlineConn) -> Any:
        if not conn.buffered:  # a pipelined request, already in gunicorn's buffer: its clock starts now
            conn.deadline = time.monotonic() + REQUEST_READ_SECONDS
        conn.buffered = False
        keep = super().handle(conn)
        if keep is False or conn.expired:
            conn.close(graceful=not conn.expired)
            return False
        return keep
