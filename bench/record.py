"""What every benchmark script writes with ``--write``: its figures appended to bench/RESULTS.md,
with the day, the machine and the command that made them."""

from __future__ import annotations

import datetime
import os
import platform
import sys
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def append(script: str, lines: list[str]) -> None:
    machine = f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    command = f".venv/bin/python bench/{script} {' '.join(sys.argv[1:])}".rstrip()
    block = "\n".join(lines)
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(
            f"\n### {datetime.date.today().isoformat()} — bench/{script}\n- machine: {machine}\n"
            f"- command: `{command}`\n\n```\n{block}\n```\n"
        )
