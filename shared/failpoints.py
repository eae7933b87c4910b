"""Named points where a fault test can make a process die at an exact moment.

Armed only by ``XINSHENG_FAILPOINTS`` (comma-separated names) in the process's environment, read
at the first ``hit``; otherwise ``hit`` is one set lookup. The process dies as with SIGKILL: no
cleanup, no flush.
"""

from __future__ import annotations

import functools
import os


@functools.cache
def armed() -> frozenset[str]:
    """The failpoints this process was started with."""
    return frozenset(filter(None, os.environ.get("XINSHENG_FAILPOINTS", "").split(",")))


def hit(name: str) -> None:
    """Die here if ``name`` is armed."""
    if name in armed():
        os._exit(137)
