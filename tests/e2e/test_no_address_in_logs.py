"""No IP address in a web process's log, whatever the request: malformed request lines and
headers (which gunicorn logs as "Invalid request from ip=…") leave a record without the client's
address, and without any address the request itself carries.

The server's own bind line ("Listening at: http://127.0.0.1:PORT") is withheld too: on loopback
it is the client's address as well, so no line of the log is an exception here.
"""

from __future__ import annotations

import re
import socket

import pytest

from harness.alone import intake_alone
from shared.gunicorn_conf import WITHHELD, withhold_addresses
from shared.procs import stop_pids, wait_until

pytestmark = pytest.mark.e2e
CARRIED = "203.0.113.9"  # an address a request carries in its own text
# Each makes gunicorn log an invalid request: all but the bad chunk before the app sees it.
MALFORMED = {
    "not HTTP at all": b"GARBAGE\r\n\r\n",
    "a header line without a colon": b"GET / HTTP/1.1\r\nHost: intake\r\nNoColonHere\r\n\r\n",
    "a bad method": b"G@T / HTTP/1.1\r\nHost: intake\r\n\r\n",
    "a bad HTTP version carrying an address": f"GET / HTTP/{CARRIED}\r\n\r\n".encode(),
    "a request line carrying an address": f"GET /{CARRIED} {CARRIED}\r\n\r\n".encode(),
    "an overlong header": b"GET / HTTP/1.1\r\nHost: intake\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n",
    "an overlong request line": b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n",
    "a header name with a space": f"GET / HTTP/1.1\r\nX-Forwarded For: {CARRIED}\r\n\r\n".encode(),
    "a bad Content-Length": b"POST / HTTP/1.1\r\nHost: intake\r\nContent-Length: abc\r\n\r\n",
    "a bad chunk size": b"POST / HTTP/1.1\r\nHost: intake\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n\r\n",
    "a NUL in a header": b"GET / HTTP/1.1\r\nHost: in\x00take\r\n\r\n",
}
IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")


@pytest.fixture
def web(tmp_path):
    """intake's web process bound to 127.0.0.1 on a free port, the path of its log, the process."""
    with intake_alone(tmp_path) as alone:
        yield alone.port, alone.log, alone.procs[0]


def send(port: int, data: bytes) -> bytes:
    """The status line the server answers `data` with."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n" not in answer and (chunk := sock.recv(4096)):
            answer += chunk
    return answer.split(b"\r\n")[0]


def test_malformed_requests_leave_no_address_in_the_log(web):
    port, log_path, proc = web
    answers = {what: send(port, data) for what, data in MALFORMED.items()}
    refused = {what: answer for what, answer in answers.items() if re.match(rb"HTTP/1\.[01] 4\d\d ", answer)}
    assert refused == answers, answers
    wait_until(
        lambda: log_path.read_text(errors="replace").count("Invalid request") >= len(MALFORMED),
        10,
        what="gunicorn to log every invalid request",
    )
    stop_pids([proc.pid], timeout=10)  # everything it will write is written

    lines = log_path.read_text(errors="replace").splitlines()
    assert any(f"Listening at: http://{WITHHELD}:{port}" in line for line in lines), lines[:5]
    with_address = [
        line for line in lines if "127.0.0.1" in line or "ip=" in line or CARRIED in line or IPV4.search(line)
    ]
    assert not with_address, with_address


@pytest.mark.parametrize(
    ("text", "withheld"),
    [
        (
            "Invalid request from ip=127.0.0.1: Invalid method",
            f"Invalid request from {WITHHELD}: Invalid method",
        ),
        ("Invalid request from ip=::1: bad", f"Invalid request from {WITHHELD}: bad"),
        ("from ip=2001:db8::7:8 ok", f"from {WITHHELD} ok"),
        ("peer ::ffff:192.0.2.1 left", f"peer {WITHHELD} left"),
        ("zone fe80::1%eth0 here", f"zone {WITHHELD} here"),
        ("Listening at: http://0.0.0.0:8001 (7)", f"Listening at: http://{WITHHELD}:8001 (7)"),
        ("Listening at: http://[::1]:8001 (7)", f"Listening at: http://[{WITHHELD}]:8001 (7)"),
        ("client=10.1.2.3, again 10.1.2.3", f"{WITHHELD}, again {WITHHELD}"),
    ],
)
def test_every_address_is_withheld_from_a_log_text(text, withheld):
    assert withhold_addresses(text) == withheld


@pytest.mark.parametrize(
    "text",
    [
        "Starting gunicorn 27.0.1",
        "2026-12-01 11:49:05,680 at 11:49:06",
        "Worker (pid:2422) exited with code 3.",
        "version 1.2.3.4.5 and 999.1.1.1",
        "dead:beef is not an address",
    ],
)
def test_text_without_an_address_is_kept_as_it_is(text):
    assert withhold_addresses(text) == text
